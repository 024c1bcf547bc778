import { useRef, useState } from 'preact/hooks';
import { MenuIcon } from './icons';
import { useMenu } from './menu';

/**
 * The "Main menu" button of the chat list's header and its drop-down: account actions that
 * are rarely needed ("Keyboard shortcuts", "Log out") live here rather than as buttons competing with the chats.
 */
export function MainMenu({ onLogout, onShortcuts, disabled = false }: { onLogout: () => void; onShortcuts: () => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);
  const key = useMenu(open, () => setOpen(false), menuRef, buttonRef);

  return (
    <div class="menu-wrap">
      <button
        type="button"
        class="icon-button"
        ref={buttonRef}
        aria-label="Main menu"
        title="Menu"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? 'main-menu' : undefined}
        onClick={() => setOpen(!open)}
        disabled={disabled}
      >
        <MenuIcon />
      </button>
      {open && (
        <ul class="menu" id="main-menu" role="menu" aria-label="Main menu" ref={menuRef} onKeyDown={key}>
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              onClick={() => {
                setOpen(false);
                onShortcuts();
              }}
            >
              Keyboard shortcuts
            </button>
          </li>
          <li role="none">
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              onClick={() => {
                setOpen(false);
                onLogout();
              }}
            >
              Log out
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}
