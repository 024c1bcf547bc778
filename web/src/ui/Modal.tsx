import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A modal dialog on the native <dialog> element: the browser traps focus inside it, Escape
 * closes it, and focus returns to where it was when it closes.
 */
export function Modal({
  labelledBy,
  onClose,
  children,
  class: cls = '',
}: {
  labelledBy: string;
  onClose: () => void;
  children: ComponentChildren;
  class?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
      before?.focus?.({ preventScroll: true });
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`modal ${cls}`}
      aria-labelledby={labelledBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its card) closes it.
        if (e.target === ref.current) onClose();
      }}
    >
      <div class="modal-card">{children}</div>
    </dialog>
  );
}
