import { SHORTCUTS } from '../core/shortcuts';
import { Modal } from './Modal';

/** "Keyboard shortcuts": every shortcut of the app (core/shortcuts.ts), from "?" or the main menu. */
export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Modal labelledBy="shortcuts-title" onClose={onClose}>
      <div class="sheet-form">
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl class="shortcuts">
          {SHORTCUTS.map((s) => (
            <div key={s.keys}>
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.does}</dd>
            </div>
          ))}
        </dl>
        <div class="sheet-actions">
          <button type="button" class="primary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
