// The text of the QR code in a photo (PNG, JPEG, or whatever the browser can
// decode), read with jsQR on a canvas. Large photos are read scaled down first
// (a phone's 12-megapixel picture takes jsQR seconds), then larger.

import jsQR from 'jsqr';

export class NotAnImage extends Error {}

const SIZES = [1024, 2048, 3200];

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** The QR text, or null when no code is found; throws NotAnImage. */
export async function readQrCode(blob) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (error) {
    throw new NotAnImage(String(error && error.message));
  }
  try {
    const largest = Math.max(bitmap.width, bitmap.height);
    const tried = new Set();
    for (const size of SIZES) {
      const scale = Math.min(1, size / largest);
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      if (tried.has(width)) continue;
      tried.add(width);
      const canvas = canvasOf(width, height);
      const context = canvas.getContext('2d', { willReadFrequently: true });
      context.imageSmoothingQuality = 'high';
      context.drawImage(bitmap, 0, 0, width, height);
      const pixels = context.getImageData(0, 0, width, height);
      const code = jsQR(pixels.data, width, height, { inversionAttempts: 'attemptBoth' });
      if (code && typeof code.data === 'string') return code.data;
    }
    return null;
  } finally {
    if (typeof bitmap.close === 'function') bitmap.close();
  }
}
