// Entry point of the certificate verification page (/verify): built by
// frontend/build.mjs into src/corridor/web/static/build/verify.js (+ verify.css),
// loaded by src/corridor/amnesty/templates/amnesty/verify.html.

import './verify.css';

import { installVerifyPage } from './page.js';
import { loadTrustList } from './trust_list.js';
import { verifyCertificate } from './verifier.js';

// For tests and tools: the same checks as the page, without the page.
window.corridorVerify = Object.freeze({ loadTrustList, verifyCertificate });

installVerifyPage();
