// Build the Corridor front-end bundle with esbuild.
//
//   npm run build   ->   src/corridor/web/static/build/
//                          corridor.js   (IIFE, minified: leaflet + htmx + map component)
//                          corridor.css  (leaflet.css + frontend/src/map.css)
//                          images/*      (leaflet's control/marker images, same relative URLs)
//                          tally-sw.js   (the tally screen's service worker, served as /tally-sw.js)
//                          verify.js     (IIFE: the certificate verification page, /verify)
//                          verify.css    (its stylesheet)
//                          verify-sw.js  (its service worker, served as /verify-sw.js)
//
// Everything is served from our own origin: the field may have no internet.

import { cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'src', 'corridor', 'web', 'static', 'build');
const require = createRequire(import.meta.url);
const leafletImages = path.join(path.dirname(require.resolve('leaflet/package.json')), 'dist', 'images');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    corridor: 'frontend/src/main.js',
    // The certificate verification page: a bundle of its own, loaded by that page only.
    verify: 'frontend/src/verify/main.js',
  },
  outdir,
  bundle: true,
  format: 'iife',
  minify: true,
  sourcemap: 'linked',
  target: 'es2020',
  platform: 'browser',
  loader: { '.json': 'json' },
  // leaflet.css refers to images/*.png; keep those URLs as they are and copy the
  // files next to the bundle below (Leaflet derives its icon path from them).
  external: ['images/*'],
  legalComments: 'eof',
  logLevel: 'info',
  metafile: true,
});

// The tally screen's service worker: a script of its own (served as /tally-sw.js
// by crossings/tally_pages.py, so that its scope may cover the page); the same
// for the verification page's (/verify-sw.js, amnesty/verify_pages.py).
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { 'tally-sw': 'frontend/src/tally-sw.js', 'verify-sw': 'frontend/src/verify/sw.js' },
  outdir,
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2020',
  platform: 'browser',
  legalComments: 'eof',
  logLevel: 'info',
});

await cp(leafletImages, path.join(outdir, 'images'), { recursive: true });

const files = await readdir(outdir);
for (const required of ['corridor.js', 'corridor.css', 'tally-sw.js', 'verify.js', 'verify.css', 'verify-sw.js', 'images']) {
  if (!files.includes(required)) throw new Error(`build did not produce ${required}`);
}

// Guard: the stylesheet may only reference files served next to it. A url()
// with a scheme or a protocol-relative host would make the browser go out.
const css =
  (await readFile(path.join(outdir, 'corridor.css'), 'utf8')) + (await readFile(path.join(outdir, 'verify.css'), 'utf8'));
const remote = [...css.matchAll(/url\(\s*['"]?((?:[a-z][a-z0-9+.-]*:)?\/\/[^)'"]*)/gi)].map((m) => m[1]);
if (remote.length) throw new Error(`a stylesheet refers to remote resources: ${remote.join(', ')}`);
for (const match of css.matchAll(/url\(\s*['"]?(images\/[^)'"]+)/g)) {
  if (!(await readdir(path.join(outdir, 'images'))).includes(match[1].slice('images/'.length))) {
    throw new Error(`corridor.css refers to a missing file: ${match[1]}`);
  }
}

console.log(await esbuild.analyzeMetafile(result.metafile));
