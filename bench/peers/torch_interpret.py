#!/usr/bin/env python3
"""The interpretability methods of bench/interpret.bench.mjs hand-written in PyTorch, for a side-by-side figure.

SqueezeNet v1.1 is built from the package's own model files (model.json and its weight shard: the weights of
MATLAB's pretrained squeezenet, MATLAB's paddings), so both sides compute the same network on the same image:

- a forward pass to prob;
- Grad-CAM: relu_conv10's activations weighted by the spatial mean of the gradient of prob[class], summed over
  channels, rectified, upsampled bicubically to the image;
- occlusion sensitivity at MATLAB's defaults: 45x45 masks of the image's mean at a stride of 23, centred from 0
  and clipped at the edges (100 masks), scored with the image in one batch of 101;
- the gradient of prob[class] with respect to each pixel, its absolute values summed over the channels and rescaled
  to [0, 1] (gradientAttribution), plainly and by guided backpropagation (each ReLU passes back only the positive
  part of its gradient, where its input was positive); --maps DIR writes both maps there (float32, row-major, 227x227)
  for the benchmark to hold beside the library's;
- deepDreamImage's reference example: 16 images, one per channel 1..16 of fire3-squeeze1x1, 10 steps of gradient
  ascent on one level, each gradient normalised by its standard deviation (the library normalises by a Laplacian
  pyramid, a small part of the time).

Prints one JSON line of median milliseconds. Usage:
  python3 bench/peers/torch_interpret.py --model model/squeezenet_v1.1 --image examples/images/face.png \
      --class 903 --threads 2 [--runs 5] [--maps DIR]
"""
import argparse
import json
import os
import statistics
import struct
import time
import zlib

import torch
import torch.nn.functional as F

MEAN = [123.0, 117.0, 104.0]


def read_png_rgb(path):
    """An 8-bit RGB(A) PNG without interlacing as a [3, h, w] float tensor (enough for the repository's images)."""
    with open(path, 'rb') as f:
        data = f.read()
    pos, idat, width, height, ctype = 8, b'', 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype in (2, 6), 'an 8-bit RGB or RGBA PNG'
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    t = torch.tensor(list(b''.join(rows)), dtype=torch.float32).reshape(height, width, bpp)[:, :, :3]
    return t.permute(2, 0, 1).contiguous()


def load_weights(folder):
    with open(os.path.join(folder, 'model.json')) as f:
        manifest = json.load(f)['weightsManifest']
    out = {}
    for group in manifest:
        blob = b''.join(open(os.path.join(folder, p), 'rb').read() for p in group['paths'])
        pos = 0
        for w in group['weights']:
            n = 1
            for d in w['shape']:
                n *= d
            dtype = torch.float32 if w['dtype'] == 'float32' else torch.int32
            t = torch.frombuffer(bytearray(blob[pos:pos + 4 * n]), dtype=dtype).reshape(w['shape'])
            out[w['name']] = t
            pos += 4 * n
    return out


class GuidedReLU(torch.autograd.Function):
    """ReLU whose backward pass keeps only the positive part of the gradient, where the input was positive."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.clamp(min=0) * (x > 0).to(g.dtype)


class SqueezeNet:
    """SqueezeNet v1.1 in NCHW with MATLAB's paddings; `forward(x, stop)` returns the named layer's output."""

    def __init__(self, weights):
        self.relu = F.relu
        self.w = {}
        for name, t in weights.items():
            if name.endswith('/weights'):
                self.w[name] = t.permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            elif name.endswith('/bias'):
                self.w[name] = t.clone()

    def conv(self, x, name, stride=1, padding=0):
        return self.relu(F.conv2d(x, self.w[f'{name}/weights'], self.w[f'{name}/bias'], stride=stride, padding=padding))

    def fire(self, x, f):
        s = self.conv(x, f'{f}-squeeze1x1')
        return s, torch.cat([self.conv(s, f'{f}-expand1x1'), self.conv(s, f'{f}-expand3x3', padding=1)], 1)

    @staticmethod
    def pool(x, padded):
        if padded:
            x = F.pad(x, (0, 1, 0, 1))  # after a ReLU, zero padding is MATLAB's [0 1 0 1]
        return F.max_pool2d(x, 3, 2)

    def forward(self, x, stop='prob'):
        x = x - torch.tensor(MEAN).reshape(1, 3, 1, 1)
        x = self.pool(self.conv(x, 'conv1', stride=2), False)
        _, x = self.fire(x, 'fire2')
        s3, x = self.fire(x, 'fire3')
        if stop == 'fire3-squeeze1x1':
            return s3
        x = self.pool(x, True)
        _, x = self.fire(x, 'fire4')
        _, x = self.fire(x, 'fire5')
        x = self.pool(x, True)
        for f in ('fire6', 'fire7', 'fire8', 'fire9'):
            _, x = self.fire(x, f)
        a = self.conv(x, 'conv10')
        if stop == 'relu_conv10':
            return a
        return F.softmax(a.mean((2, 3)), 1)


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--image', required=True)
    ap.add_argument('--class', dest='cls', type=int, required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--dream', type=int, default=1)
    ap.add_argument('--maps', default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = SqueezeNet(load_weights(args.model))
    img = read_png_rgb(args.image).unsqueeze(0)
    h, w = img.shape[2:]

    def forward():
        with torch.no_grad():
            return net.forward(img)[0, args.cls].item()

    def gradcam():
        a = net.forward(img, 'relu_conv10').detach().requires_grad_(True)
        prob = F.softmax(a.mean((2, 3)), 1)[0, args.cls]
        (g,) = torch.autograd.grad(prob, a)
        cam = F.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
        return F.interpolate(cam.detach(), size=(h, w), mode='bicubic', align_corners=False)

    def attribution(guided):
        def run():
            net.relu = GuidedReLU.apply if guided else F.relu
            try:
                x = img.clone().requires_grad_(True)
                (g,) = torch.autograd.grad(net.forward(x)[0, args.cls], x)
            finally:
                net.relu = F.relu
            m = g.abs().sum(1)[0]
            return (m - m.min()) / (m.max() - m.min())

        return run

    def occlusion():
        mean = img.mean((2, 3), keepdim=True)
        batch = [img[0]]
        for cy in range(0, h, 23):
            for cx in range(0, w, 23):
                m = img[0].clone()
                y0, y1 = max(0, cy - 22), min(h, cy + 23)
                x0, x1 = max(0, cx - 22), min(w, cx + 23)
                m[:, y0:y1, x0:x1] = mean[0]
                batch.append(m)
        with torch.no_grad():
            scores = net.forward(torch.stack(batch))[:, args.cls]
        return scores[0] - scores[1:]

    def dream():
        gen = torch.Generator().manual_seed(0)
        x = (torch.rand(16, 3, h, w, generator=gen) * 20 + 118).requires_grad_(True)
        for _ in range(10):
            act = net.forward(x, 'fire3-squeeze1x1')
            objective = act[torch.arange(16), torch.arange(16)].mean((1, 2)).sum()
            (g,) = torch.autograd.grad(objective, x)
            g = g / (g.std((1, 2, 3), keepdim=True) + 1e-8)
            x = (x + g).detach().requires_grad_(True)
        return x

    out = {
        'threads': torch.get_num_threads(),
        'torch': torch.__version__,
        'pass': median_ms(forward, args.runs * 3),
        'gradCAM': median_ms(gradcam, args.runs * 3),
        'gradient': median_ms(attribution(False), args.runs * 3),
        'guided': median_ms(attribution(True), args.runs * 3),
        'occlusion': median_ms(occlusion, args.runs),
        'prob': forward(),
    }
    if args.dream:
        out['dream'] = median_ms(dream, 1)
    if args.maps:
        for name, guided in (('gradient', False), ('guided', True)):
            with open(os.path.join(args.maps, f'{name}.f32'), 'wb') as f:
                f.write(attribution(guided)().contiguous().numpy().astype('<f4').tobytes())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
