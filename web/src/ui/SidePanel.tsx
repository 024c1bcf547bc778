import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { CloseIcon } from './icons';

/**
 * The panel at the right of an open chat (over it on narrow screens): group info, message
 * info. Its heading takes the focus when it opens (unless something inside it took the focus
 * first, e.g. a search box); Escape or the close button closes it. The focus moves in a layout
 * effect, in the same task as the panel appears: typing that follows at once (a fast user, a
 * busy machine delaying the next frame) is never sent to an element the focus leaves later.
 */
export function SidePanel({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const panelRef = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    if (panelRef.current?.contains(document.activeElement)) return;
    headingRef.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <aside
      ref={panelRef}
      id="side-panel"
      class="side-panel"
      aria-labelledby="side-panel-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !(e.target instanceof HTMLElement && e.target.closest('dialog'))) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <header class="bar panel-bar">
        <button type="button" class="icon-button" onClick={onClose} aria-label={`Close ${title.toLowerCase()}`}>
          <CloseIcon />
        </button>
        <h2 id="side-panel-title" ref={headingRef} tabIndex={-1}>
          {title}
        </h2>
      </header>
      <div class="panel-body">{children}</div>
    </aside>
  );
}
