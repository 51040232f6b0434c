/**
 * 2D canvases sized for an image, checked to hold that size. Browsers cap a canvas's width, height and area, and a
 * canvas past the cap does not throw: it stays blank, reads back as zeros and encodes as nothing. Used by `imshow`,
 * `imwrite`'s JPEG and every read of a drawable image. Touches browser globals only when called; not exported from
 * the package.
 */
import { formatCount } from '../internal/limits.js';

type Canvas = HTMLCanvasElement | OffscreenCanvas;
type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Canvases up to this many pixels a side are not probed: every browser in use holds 4096 × 4096 (iOS Safari's area
 * cap, the lowest, is exactly that many pixels). Larger ones cost one 1-pixel read-back to check.
 */
const HELD_BY_EVERY_BROWSER = 4096;

/**
 * A canvas of `width × height` with its 2D context: `canvas` if given (resized, which clears it), else a new
 * `OffscreenCanvas` (or a page's `<canvas>` where there is none).
 *
 * @param fn The public function, for messages.
 * @param what The image the canvas is for, for messages ("the image", "the <img> …").
 * @throws {RangeError} if the browser will not hold a canvas of that size.
 * @throws {Error} if there is no canvas to make (a worker without `OffscreenCanvas`) or the canvas gives no 2D
 *   context (a canvas that already holds a WebGL or WebGPU one).
 */
export function sizedCanvas<C extends Canvas = Canvas>(
  fn: string,
  width: number,
  height: number,
  what: string,
  options: { canvas?: C; willReadFrequently?: boolean } = {},
): { canvas: C; ctx: Context2D } {
  let canvas: Canvas;
  if (options.canvas) {
    canvas = options.canvas;
    canvas.width = width;
    canvas.height = height;
  } else if (typeof OffscreenCanvas !== 'undefined') {
    canvas = new OffscreenCanvas(width, height);
  } else if (typeof document !== 'undefined') {
    canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
  } else {
    throw new Error(`${fn}: no canvas can be made here (no OffscreenCanvas and no document) for ${what}`);
  }
  const settings: CanvasRenderingContext2DSettings = {
    colorSpace: 'srgb',
    alpha: true,
    ...(options.willReadFrequently ? { willReadFrequently: true } : {}),
  };
  const ctx = canvas.getContext('2d', settings) as Context2D | null;
  if (!ctx) {
    throw new Error(
      options.canvas
        ? `${fn}: the canvas has no 2D context (it may already hold a WebGL or WebGPU context)`
        : `${fn}: the browser gave no 2D canvas context for ${what}`,
    );
  }
  if ((width > HELD_BY_EVERY_BROWSER || height > HELD_BY_EVERY_BROWSER) && !holdsPixels(ctx)) {
    throw new RangeError(
      `${fn}: this browser will not make a ${width}×${height} canvas for ${what} (${formatCount(width * height)} pixels): ` +
        'browsers cap a canvas at some width, height and area (Chromium: 65,535 a side and 268,435,456 pixels; ' +
        'iOS Safari: 16,777,216 pixels), and a larger one stays blank; use a smaller image (imresize)',
    );
  }
  return { canvas: canvas as C, ctx };
}

/** Whether a freshly sized canvas keeps what is drawn on it: one opaque pixel, read back, then cleared. */
function holdsPixels(ctx: Context2D): boolean {
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, 1, 1);
  const alpha = ctx.getImageData(0, 0, 1, 1).data[3];
  ctx.clearRect(0, 0, 1, 1);
  return alpha === 255;
}
