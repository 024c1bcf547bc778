import { useEffect, useState } from 'preact/hooks';
import { fitBox } from '../core/media';
import type { ImageInfo } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Modal } from './Modal';

/**
 * A photo in a message: the inline placeholder, blurred, at once and at the photo's own
 * aspect ratio (so nothing jumps); the thumbnail over it as soon as it has loaded; the
 * full image in a viewer on click.
 */
export function PhotoBubble({ client, image, caption, onOpen }: { client: ParleyClient; image: ImageInfo; caption: string; onOpen: () => void }) {
  const box = fitBox(image.width, image.height, 280, 320);
  const [thumb, setThumb] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  // Asked again whenever the connection comes back while the thumbnail is still missing
  // (offline the link cannot be fetched, or the image itself failed to load).
  const retry = loaded ? 'done' : client.connState === 'online';
  useEffect(() => {
    if (loaded) return;
    let live = true;
    client.photoLinks(image.media_id).then(
      (l) => live && setThumb(l.thumbnail),
      () => undefined, // offline: the placeholder stays until the connection is back
    );
    return () => {
      live = false;
    };
  }, [image.media_id, retry]);
  return (
    <button
      type="button"
      class="photo"
      style={{ width: `${box.width}px`, height: `${box.height}px` }}
      onClick={onOpen}
      aria-label={caption ? `Photo: ${caption}. Open` : 'Photo. Open'}
      data-media-id={image.media_id}
      data-state={loaded ? 'thumbnail' : 'placeholder'}
    >
      <img class="photo-placeholder" src={image.placeholder} alt="" aria-hidden="true" />
      {thumb && <img class={`photo-thumb${loaded ? ' loaded' : ''}`} src={thumb} alt="" onLoad={() => setLoaded(true)} onError={() => setThumb(null)} />}
    </button>
  );
}

/** A photo still uploading (or failed to), drawn from the local file. */
export function UploadBubble({ preview, loaded, total, error, onDismiss }: { preview: string; loaded: number; total: number; error?: string; onDismiss: () => void }) {
  const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
  return (
    <div class="photo uploading" data-state={error ? 'failed' : 'uploading'}>
      <img class="photo-thumb loaded" src={preview} alt="" />
      {error ? (
        <div class="upload-failed" role="alert">
          <span>{error}</span>
          <button type="button" class="text-button small" onClick={onDismiss}>
            Dismiss
          </button>
        </div>
      ) : (
        <progress class="upload-progress" max={100} value={percent} aria-label={`Uploading photo, ${percent}%`} />
      )}
    </div>
  );
}

/** The full image, over everything; Escape or a click outside closes it. */
export function PhotoViewer({ client, image, caption, onClose }: { client: ParleyClient; image: ImageInfo; caption: string; onClose: () => void }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  // The photo's own shape, as large as the window allows (room left for caption and button).
  const frame = fitBox(image.width, image.height, window.innerWidth - 60, window.innerHeight - (caption ? 160 : 120));
  useEffect(() => {
    client.photoLinks(image.media_id).then(
      (l) => setSrc(l.full),
      () => setFailed(true),
    );
  }, [image.media_id]);
  return (
    <Modal labelledBy="photo-viewer-title" onClose={onClose} class="photo-viewer">
      <h2 id="photo-viewer-title" class="visually-hidden">
        Photo
      </h2>
      <div class="viewer-frame" style={{ width: `${frame.width}px`, height: `${frame.height}px` }}>
        <img class="photo-placeholder" src={image.placeholder} alt="" aria-hidden="true" />
        {src && <img class="viewer-full" src={src} alt={caption || 'Photo'} width={image.width} height={image.height} />}
      </div>
      {failed && <p class="form-error">The photo cannot be loaded while offline.</p>}
      {caption && <p class="viewer-caption">{caption}</p>}
      <button type="button" class="primary" onClick={onClose}>
        Close
      </button>
    </Modal>
  );
}
