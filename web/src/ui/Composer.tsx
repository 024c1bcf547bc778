import { useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { ACCEPTED_TYPES, VIDEO_TYPES, fileUploadProblem, isPhotoFile, isVideoFile, uploadProblem, videoUploadProblem } from '../core/media';
import type { ParleyClient } from '../platform/client';
import { RecordButton } from './Attachments';
import { AttachIcon, SendIcon } from './icons';
import { ReplyBar } from './ReplyQuote';

/** The longest message text the server takes, in UTF-8 bytes (docs/protocol.md). */
const MAX_TEXT_BYTES = 16384;

/** The composer's state: the chat's draft (kept across chats), and sending text and files from it. */
export interface Draft {
  text: string;
  set: (text: string) => void;
  tooLong: boolean;
  /** Why the last picked, pasted or dropped file was not sent ('' when it was). */
  fileError: string;
  setFileError: (e: string) => void;
  /** Sends the draft (as a reply to `replyTo`); false when there was nothing to send. */
  send: (replyTo?: number) => boolean;
  /**
   * Sends picked, pasted or dropped files: photos as photos (unless `asDocuments`), the rest
   * as documents; the draft becomes the first one's caption. True when any was sent.
   */
  sendFiles: (files: Iterable<File>, asDocuments?: boolean) => boolean;
}

export function useDraft(client: ParleyClient, conversationId: number): Draft {
  const [text, setText] = useState(() => client.drafts.get(conversationId));
  const [fileError, setFileError] = useState('');
  const set = (t: string) => {
    setText(t);
    client.drafts.set(conversationId, t);
  };
  const tooLong = new TextEncoder().encode(text).length > MAX_TEXT_BYTES;
  return {
    text,
    set,
    tooLong,
    fileError,
    setFileError,
    send(replyTo) {
      const t = text.trim();
      if (!t || new TextEncoder().encode(t).length > MAX_TEXT_BYTES) return false;
      client.send(conversationId, t, replyTo);
      set('');
      return true;
    },
    sendFiles(files, asDocuments = false) {
      let caption = text.trim();
      let sent = 0;
      for (const f of files) {
        const photo = !asDocuments && isPhotoFile(f);
        const video = !asDocuments && isVideoFile(f);
        const problem = photo ? uploadProblem(f) : video ? videoUploadProblem(f) : fileUploadProblem(f);
        if (problem) {
          setFileError(problem);
          continue;
        }
        if (photo) client.sendPhoto(conversationId, f, caption);
        else if (video) client.sendVideo(conversationId, f, caption);
        else client.sendDocument(conversationId, f, caption);
        caption = '';
        sent += 1;
      }
      if (sent) {
        setFileError('');
        set('');
      }
      return sent > 0;
    },
  };
}

/**
 * The bottom of an open chat: the reply being written, the attach and record buttons, the
 * text box (Enter sends, Shift+Enter breaks the line, Escape drops the reply, Up in an empty
 * box edits the last own message) and the send button.
 */
export function Composer({
  client,
  conversationId,
  name,
  draft,
  inputRef,
  replySeq,
  setReplySeq,
  nameOf,
  onSent,
  onEditLast,
}: {
  client: ParleyClient;
  conversationId: number;
  /** The chat's name, for the text box's label. */
  name: string;
  draft: Draft;
  inputRef: RefObject<HTMLTextAreaElement>;
  replySeq: number | null;
  setReplySeq: (seq: number | null) => void;
  nameOf: (id: number) => string;
  /** Something was sent (the list goes to the bottom). */
  onSent: () => void;
  /** Up in an empty box: edits the last own message; true when there was one to edit. */
  onEditLast: () => boolean;
}) {
  const focus = () => inputRef.current?.focus();
  function send() {
    if (!draft.send(replySeq ?? undefined)) return;
    setReplySeq(null);
    onSent();
    focus();
  }
  const sendFiles = (files: Iterable<File>, asDocuments = false) => {
    if (draft.sendFiles(files, asDocuments)) onSent();
  };
  const fileRef = useRef<HTMLInputElement>(null);
  const docRef = useRef<HTMLInputElement>(null);
  return (
    <>
      {replySeq !== null && (
        <ReplyBar client={client} conversationId={conversationId} seq={replySeq} nameOf={nameOf} onCancel={() => {
          setReplySeq(null);
          focus();
        }} />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input
          ref={fileRef}
          type="file"
          accept={`${ACCEPTED_TYPES},${VIDEO_TYPES}`}
          multiple
          hidden
          data-testid="photo-input"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files) sendFiles([...files]);
            e.currentTarget.value = '';
          }}
        />
        <input
          ref={docRef}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files) sendFiles([...files], true);
            e.currentTarget.value = '';
          }}
        />
        <button type="button" class="icon-button attach" aria-label="Attach photo or video" title="Attach photo or video" onClick={() => fileRef.current?.click()}>
          <AttachIcon />
        </button>
        <button type="button" class="icon-button attach-file" aria-label="Attach file" title="Attach file" onClick={() => docRef.current?.click()}>
          📄
        </button>
        <RecordButton
          onRecorded={(r) => {
            client.sendVoice(conversationId, r.blob, r.durationMs, r.waveform);
            onSent();
          }}
          onError={draft.setFileError}
        />
        <label for="composer-input" class="visually-hidden">
          Message {name}
        </label>
        <textarea
          id="composer-input"
          ref={inputRef}
          rows={1}
          placeholder="Type a message"
          value={draft.text}
          aria-invalid={draft.tooLong ? true : undefined}
          onInput={(e) => {
            const v = e.currentTarget.value;
            draft.set(v);
            client.typingInput(conversationId, v.trim() !== '');
          }}
          onBlur={() => client.typingStop(conversationId)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (!files.length) return;
            e.preventDefault();
            sendFiles(files);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === 'Escape' && replySeq !== null) {
              e.preventDefault();
              setReplySeq(null);
            } else if (e.key === 'ArrowUp' && !e.altKey && !e.ctrlKey && !e.metaKey && draft.text === '') {
              if (onEditLast()) e.preventDefault();
            }
          }}
        />
        <button type="submit" class="icon-button send" aria-label="Send" disabled={!draft.text.trim() || draft.tooLong}>
          <SendIcon />
        </button>
      </form>
    </>
  );
}
