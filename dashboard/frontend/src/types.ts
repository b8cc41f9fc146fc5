// The parts of Gardener's objects (core.gardener.cloud/v1beta1 and friends) that the portal reads.
// Everything is optional: the portal renders what is there and never trusts a field to exist.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface List<T> {
  items?: T[];
  metadata?: { resourceVersion?: string };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  codes?: string[];
}

export interface LastOperation {
  type?: string;
  state?: string;
  progress?: number;
  description?: string;
  lastUpdateTime?: string;
}

export interface LastError {
  description?: string;
  taskID?: string;
  codes?: string[];
  lastUpdateTime?: string;
}

export interface Worker {
  name: string;
  minimum?: number;
  maximum?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  machine?: { type?: string; image?: { name?: string; version?: string }; architecture?: string };
  volume?: { type?: string; size?: string };
  zones?: string[];
  cri?: { name?: string };
}

export interface Shoot {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    cloudProfile?: { kind?: string; name?: string };
    cloudProfileName?: string;
    credentialsBindingName?: string;
    secretBindingName?: string;
    region?: string;
    purpose?: string;
    seedName?: string;
    provider?: { type?: string; workers?: Worker[]; infrastructureConfig?: unknown; controlPlaneConfig?: unknown };
    kubernetes?: { version?: string };
    networking?: { type?: string; nodes?: string; pods?: string; services?: string };
    hibernation?: { enabled?: boolean; schedules?: { start?: string; end?: string; location?: string }[] };
    maintenance?: { timeWindow?: { begin?: string; end?: string }; autoUpdate?: Record<string, boolean> };
  };
  status?: {
    conditions?: Condition[];
    constraints?: Condition[];
    hibernated?: boolean;
    lastOperation?: LastOperation;
    lastErrors?: LastError[];
    seedName?: string;
    technicalID?: string;
    advertisedAddresses?: { name?: string; url?: string }[];
  };
}

export interface ExpirableVersion {
  version: string;
  classification?: string;
  expirationDate?: string;
}

export interface CloudProfile {
  metadata: ObjectMeta;
  spec: {
    type: string;
    kubernetes?: { versions?: ExpirableVersion[] };
    machineImages?: {
      name: string;
      versions?: (ExpirableVersion & { architectures?: string[]; cri?: { name: string }[] })[];
    }[];
    machineTypes?: { name: string; cpu?: string; gpu?: string; memory?: string; architecture?: string; usable?: boolean }[];
    volumeTypes?: { name: string; class?: string; usable?: boolean }[];
    regions?: {
      name: string;
      zones?: { name: string; unavailableMachineTypes?: string[]; unavailableVolumeTypes?: string[] }[];
    }[];
    providerConfig?: {
      constraints?: { floatingPools?: { name: string }[]; loadBalancerProviders?: { name: string }[] };
      [k: string]: unknown;
    };
  };
}

export interface CredentialsBinding {
  metadata: ObjectMeta;
  provider?: { type?: string };
  credentialsRef?: { apiVersion?: string; kind?: string; name?: string; namespace?: string };
}

export interface ProjectMember {
  apiGroup?: string;
  kind: string;
  name: string;
  namespace?: string;
  role?: string;
  roles?: string[];
}

export interface Project {
  metadata: ObjectMeta;
  spec?: {
    namespace?: string;
    description?: string;
    purpose?: string;
    owner?: { kind?: string; name?: string };
    members?: ProjectMember[];
  };
  status?: { phase?: string };
}

export interface KubeEvent {
  metadata: ObjectMeta;
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingComponent?: string;
}

/** One Node of a shoot as `GET /api/shoots/<ns>/<name>/nodes` reports it (read from the shoot's own API server). */
export interface ShootNode {
  name: string;
  ready?: boolean;
  kubeletVersion?: string | null;
  internalIP?: string | null;
  providerID?: string | null;
  createdAt?: string | null;
}

export interface ShootNodes {
  /** Which kubeconfig the backend read the nodes with. */
  access?: 'admin' | 'viewer';
  items?: ShootNode[];
}

export interface Session {
  user: string;
  csrfToken: string;
  expiresAt: string;
  /** The garden's name as gardenctl's configuration knows it. */
  garden?: string;
}
