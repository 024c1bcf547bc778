/**
 * Resolves after the next frame is drawn (in the task after it), or soon when no frame comes
 * (a hidden page, or no DOM).
 */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame !== 'function' || typeof document === 'undefined' || document.visibilityState !== 'visible') {
      setTimeout(resolve, 0);
      return;
    }
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100); // a frame that never comes must not hold the caller back
  });
}
