// Public API of the simulated EmpowerVerse API: data generation, file-backed data, the HTTP server and the CLI command.
export { registerSimulateCommand, type SimulateCommandOptions } from './cli.js';
export { datasetCounts, iterateRecords, readRecord, type SimulatorData } from './dataset.js';
export {
  type FailingPage,
  type FaultOptions,
  type FaultTimes,
  type InvalidRecordSpec,
  MALFORMED_KINDS,
  type MalformedKind,
  type MalformedPage,
  PAGE_FAILURES,
  type PageFailure,
  type ResolvedFaults,
  resolveFaults,
} from './faults.js';
export { DATASET_FILES, FileDataset, loadDatasetFromFolder, writeDatasetToFolder } from './file-source.js';
export {
  DEFAULT_GENERATE_OPTIONS,
  DEFAULT_MIX,
  expectedCounts,
  type GenerateOptions,
  generateDataset,
  type InteractionColumns,
  type InteractionMix,
  type ResolvedGenerateOptions,
  resolveGenerateOptions,
  SimulatedDataset,
  splitInteractions,
} from './generate.js';
export {
  type ClickModel,
  checkLoopbackUrl,
  DEFAULT_CLICK_MODEL,
  examineProbability,
  type HiddenTastes,
  hiddenTastesOf,
  likeProbability,
  type PageReaction,
  type ReactingUsersOptions,
  type ReactingUsersSummary,
  reactToPage,
  resolveClickModel,
  runReactingUsers,
} from './reacting-users.js';
export {
  registerSimulateUsersCommand,
  type SimulateUsersCommandOptions,
} from './reacting-users-cli.js';
export { formatTimestamp } from './records.js';
export {
  type RunningSimulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server.js';
