// Screenshots for README.md: saved to $CC_SCREENSHOTS_DIR (docs/screenshots
// when regenerating them) only when that variable is set, so routine test
// runs leave the tracked files alone.
//
//   CC_SCREENSHOTS_DIR=$PWD/docs/screenshots prove t/browser.t

import path from 'node:path';
import {mkdirSync} from 'node:fs';
import {diag} from '../lib.mjs';

const DIR = process.env.CC_SCREENSHOTS_DIR;

export async function shoot(s, target, name) {
  await s.screenshot(target, name);
  if (!DIR) return;
  mkdirSync(DIR, {recursive: true});
  const file = path.join(DIR, `${name}.png`);
  await target.screenshot({path: file});
  diag(`README screenshot ${file}`);
}
