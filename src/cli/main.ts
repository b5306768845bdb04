#!/usr/bin/env node
// The `empowerverse` command line: sync, stats, build, tune, simulate, simulate-users, eval, serve, demo.
import { Command } from '@commander-js/extra-typings';
import { registerEvalCommand } from '../eval/cli.js';
import { registerServeCommand } from '../server/cli.js';
import { describeError, FeedError } from '../shared/errors.js';
import { redact } from '../shared/redact.js';
import { registerSimulateCommand } from '../simulator/cli.js';
import { registerSimulateUsersCommand } from '../simulator/reacting-users-cli.js';
import { recordEvalRun } from '../store/eval-runs.js';
import { openStore } from '../store/open.js';
import { loadTrainingDataFromStore } from '../store/training-data.js';
import { registerBuildCommand } from './build-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerStatsCommand } from './stats-command.js';
import { registerSyncCommand } from './sync-command.js';
import { registerTuneCommand } from './tune-command.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('empowerverse')
    .description('EmpowerVerse Feed: sync, storage, recommendations and the feed service')
    .showHelpAfterError();
  registerSyncCommand(program);
  registerStatsCommand(program);
  registerBuildCommand(program);
  registerTuneCommand(program);
  registerSimulateCommand(program);
  registerSimulateUsersCommand(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerEvalCommand(program, {
    loadFromStore: async (url) => {
      const store = await openStore(url);
      try {
        return await loadTrainingDataFromStore(store);
      } finally {
        await store.close();
      }
    },
    saveReport: async (url, report, options) => {
      const store = await openStore(url);
      try {
        return await recordEvalRun(store.db, report, options);
      } finally {
        await store.close();
      }
    },
  });
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    // Known errors print their message only; anything else prints no stack either, but says so.
    const message = redact(describeError(error));
    process.stderr.write(`empowerverse: ${message}\n`);
    const usage =
      error instanceof FeedError && (error.code === 'bad_request' || error.code === 'config_invalid');
    process.exitCode = usage ? 2 : 1;
  }
}

await main();
