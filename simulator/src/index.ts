export { makeCertificates, type CertPaths } from './certs.js'
export { FilterError, matches, parseFilter, type FilterNode } from './filter.js'
export {
  defaultSwitches,
  loadScenario,
  type Scenario,
  type ScenarioPreviousRun,
  type ScenarioProxy,
  type ScenarioVirtualProxy,
  type VpAuth,
  type ScenarioApp,
  type ScenarioAttempt,
  type ScenarioCompositeEvent,
  type ScenarioCompositeRule,
  type ScenarioTimeConstraint,
  type ScenarioRun,
  type ScenarioTask,
  type ScenarioUser,
  type Switches
} from './scenario.js'
export { startSimulator, type Simulator, type SimulatorOptions } from './server.js'
export type { RecordedRequest } from './recorded.js'
export { FaultRegistry, statusText, type AppliedFault, type FaultAction, type FaultKind, type FaultRule, type Faults } from './faults.js'
export { schedulerUser, type ChainFiring, type StopRecord } from './runner.js'
export {
  emptyGuid,
  unsetDate,
  type CompositeEventState,
  type CompositeRuleState,
  type ExecutionResult,
  type SessionState,
  type SimState,
  type TaskState,
  type AppState
} from './state.js'
export { createBuiltinVerifier, type WindowsAccount } from './ntlm/builtin.js'
export type { NtlmExchange, NtlmVerdict, NtlmVerifier } from './ntlm/verifier.js'
export type { ProxyStats } from './proxy/proxy.js'
export type { QlikUser } from './auth.js'
export { changeTypeNumber, deliveryTimeoutMs, type ChangeTypeName, type NotificationDelivery, type NotificationSubscription, type Notifications } from './notifications.js'
export type { RunnerChange } from './runner.js'
export { sambaAvailable, sambaUnavailableReason, sambaVerifier, splitAccount, type SambaSetup, type SambaVerifierOptions } from './ntlm/samba.js'
export type { EngineCall, EngineHooks, EngineReloadRecord, EngineSaveRecord, EngineSessionInfo } from './engine/hooks.js'
export type { ReloadOutcome } from './engine/reload.js'
export type { EngineRight, EngineSwitches, ScenarioEngineApp, ScenarioEngineReload, ScenarioProgressLine, ScenarioScriptError, ScenarioTable } from './engine/scenario.js'
export { engineMethods, newReloadParams, type EngineMethod } from './engine/methods.js'
export { errorCodes as engineErrorCodes } from './engine/rpc.js'
