export { StackError, type StackErrorCode } from './errors.ts';
export { DockerStack, INFRA_SERVICES, dockerEngineReachable, stackServes } from './docker-stack.ts';
export { LocalStack, type ComponentState, type ComponentStatus } from './local-stack.ts';
export { resolveMode, stackDown, stackUp, externalEndpoints, type ResolvedMode } from './stack.ts';
export {
  endpointsOf,
  stackCredentialsOf,
  loadStackSettings,
  type StackEndpoints,
  type StackMode,
  type StackSettings,
  type StackTopology,
} from './topology.ts';
export { STACK_USERS, StackCredentials, stackClientSecurity } from './stack-credentials.ts';
export { SERVICE_NODE_FLAGS, ServiceProcess, freePort, type ServiceProcessOptions } from './service-process.ts';
export { ChildProcesses } from './child-processes.ts';
export { HostMetricsAgents, missingHostMetricsTools, type HostMetricsOptions } from './host-metrics-agents.ts';
