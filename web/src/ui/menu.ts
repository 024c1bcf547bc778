import type { RefObject } from 'preact';
import { useLayoutEffect } from 'preact/hooks';

/**
 * The behaviour of a drop-down menu (role="menu" with role="menuitem" entries) opened by a
 * button: while open, its first item has the focus and a click anywhere outside the menu
 * and the button, or Escape anywhere, closes it. Returns the menu's keydown handler: arrows, Home and End move
 * between items; Escape and Tab close it and give the focus back to the button.
 */
export function useMenu(
  open: boolean,
  close: () => void,
  menuRef: RefObject<HTMLElement>,
  buttonRef: RefObject<HTMLElement>,
): (e: KeyboardEvent) => void {
  // A layout effect: the focus and the listeners are in place as soon as the menu is on screen.
  useLayoutEffect(() => {
    if (!open) return;
    menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!(e.target instanceof Node)) return;
      if (menuRef.current?.contains(e.target) || buttonRef.current?.contains(e.target)) return;
      close();
    };
    // While a menu is open, Escape is the menu's, even when the focus has moved elsewhere
    // meanwhile (a list that finished loading, a search box that handles Escape itself):
    // caught before any element sees it.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      close();
      buttonRef.current?.focus();
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  return (e: KeyboardEvent) => {
    const items = [...(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') e.preventDefault();
      close();
      buttonRef.current?.focus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      items[0]?.focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      items[items.length - 1]?.focus();
    }
  };
}
