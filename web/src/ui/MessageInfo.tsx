import { useEffect, useState } from 'preact/hooks';
import { clockTime, dayLabel } from '../core/format';
import { messageStatus } from '../core/status';
import type { MessageReceipt } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar, StatusIcon } from './icons';
import { errorText } from './NewGroup';
import { SidePanel } from './SidePanel';

export function when(ts: number): string {
  return `${dayLabel(ts)}, ${clockTime(ts)}`;
}

/** Message info: who one of the user's group messages reached, and who read it, with times. */
export function MessageInfo({ client, conversationId, seq, onClose }: { client: ParleyClient; conversationId: number; seq: number; onClose: () => void }) {
  const me = client.session.user.id;
  const conv = client.store.conversation(conversationId)!;
  const m = client.store.messages(conversationId).find((x) => x.seq === seq);
  const status = m ? messageStatus(conv, m.seq, m.ts, me) : undefined;
  const [receipts, setReceipts] = useState<MessageReceipt[] | null>(null);
  const [error, setError] = useState('');

  // Fetched when it opens and again whenever the ticks move (a receipt arrived).
  const marks = JSON.stringify((conv.roster ?? []).map((r) => [r.user.id, r.delivered_seq >= seq, r.read_seq >= seq]));
  useEffect(() => {
    let gone = false;
    client.messageReceipts(conversationId, seq).then(
      (r) => {
        if (gone) return;
        setReceipts(r);
        setError('');
      },
      (e) => !gone && setError(errorText(e, 'Message info cannot be loaded.')),
    );
    return () => {
      gone = true;
    };
  }, [conversationId, seq, status, marks]);

  const played = (receipts ?? []).filter((r) => typeof r.played_at === 'number').sort((a, b) => a.played_at! - b.played_at!);
  const read = (receipts ?? []).filter((r) => r.read_at !== null).sort((a, b) => a.read_at! - b.read_at!);
  const delivered = (receipts ?? []).filter((r) => r.read_at === null && r.delivered_at !== null).sort((a, b) => a.delivered_at! - b.delivered_at!);
  const waiting = (receipts ?? []).filter((r) => r.read_at === null && r.delivered_at === null);

  return (
    <SidePanel title="Message info" onClose={onClose}>
      {m && (
        <div class="info-message">
          <div class="msg out">
            <div class="bubble">
              <span class="info-text">{m.text}</span>
              <span class="meta">
                <time dateTime={new Date(m.ts).toISOString()}>{clockTime(m.ts)}</time>
                {status && <StatusIcon status={status} />}
              </span>
            </div>
          </div>
        </div>
      )}
      {error && (
        <p class="form-error pad" role="alert">
          {error}
        </p>
      )}
      {!receipts && !error && (
        <p class="muted pad" role="status">
          Loading…
        </p>
      )}
      {receipts && (
        <>
          {m?.kind === 'voice' && played.length > 0 && <ReceiptList title="Played by" kind="played" items={played} time={(r) => r.played_at!} />}
          <ReceiptList title="Read by" kind="read" items={read} time={(r) => r.read_at!} />
          <ReceiptList title="Delivered to" kind="delivered" items={delivered} time={(r) => r.delivered_at!} />
          {waiting.length > 0 && <ReceiptList title="Not delivered yet" kind="waiting" items={waiting} />}
        </>
      )}
    </SidePanel>
  );
}

function ReceiptList({ title, kind, items, time }: { title: string; kind: string; items: MessageReceipt[]; time?: (r: MessageReceipt) => number }) {
  const id = `receipts-${kind}`;
  return (
    <section class="panel-section" aria-labelledby={id} data-receipts={kind}>
      <h3 id={id} class="section-title">
        {kind === 'read' && <StatusIcon status="read" />}
        {kind === 'delivered' && <StatusIcon status="delivered" />}
        {title}
      </h3>
      {items.length === 0 ? (
        <p class="muted small-pad">{kind === 'read' ? 'Nobody yet' : '—'}</p>
      ) : (
        <ul class="people">
          {items.map((r) => (
            <li key={r.user.id} class="person" data-user={r.user.username}>
              <Avatar name={r.user.display_name} seed={`u${r.user.id}`} size={36} />
              <span class="person-main">
                <span class="person-name">{r.user.display_name}</span>
                {time && (
                  <span class="person-sub">
                    <time dateTime={new Date(time(r)).toISOString()}>{when(time(r))}</time>
                  </span>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
