/** Runs one walkthrough step as a program: `npx tsx examples/03-channel-22.ts --out DIR`. */
import path from 'node:path';
import { load } from '../01-load-network.js';
import { parseCommonArgs, USAGE_OPTIONS, type StepResult, type WalkthroughContext } from './common.js';

export async function runStandalone(
  run: (ctx: WalkthroughContext) => Promise<StepResult>,
  meta: { step: number; title: string },
  file: string,
): Promise<void> {
  const usage = `Step ${meta.step}: ${meta.title}.\nusage: npx tsx examples/${file} [options]\n${USAGE_OPTIONS}`;
  try {
    const opts = parseCommonArgs(process.argv.slice(2), usage);
    const { ctx, backend, dispose } = await load(opts);
    console.log(`backend: ${backend}; figures go to ${path.relative(process.cwd(), ctx.outDir) || '.'}`);
    try {
      await run(ctx);
    } finally {
      dispose();
    }
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
