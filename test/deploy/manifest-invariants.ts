// Production invariants over Kubernetes manifests, as a pure function: give it
// parsed documents, get back one human-readable line per violation (empty = fine).
// The spec runs it on the real k8s/ files and on broken copies, to prove each
// check actually fires.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface InvariantOptions {
  /** Names the app accepts (keys of envSchema). When given, every env name must be one of them. */
  schemaKeys?: readonly string[];
}

export interface PodWorkload {
  kind: string;
  name: string;
  labels: Obj;
  /** metadata of the pod template (labels, annotations) */
  podMeta: Obj;
  podSpec: Obj;
  /** long-running (Deployment, StatefulSet, DaemonSet) vs run-to-completion (Job, CronJob) */
  longRunning: boolean;
  /** spec of the controller object itself (replicas, etc.) */
  spec: Obj;
}

export interface ResolvedEnvVar {
  value?: string;
  /** where the value came from: "env", "configmap <name>", "secret <name>", "valueFrom" */
  source: string;
}

export interface ContainerEnv {
  workload: string;
  container: string;
  vars: Map<string, ResolvedEnvVar>;
}

const COMPONENT_LABEL = 'app.kubernetes.io/component';

export function workloadsOf(docs: readonly unknown[]): PodWorkload[] {
  const out: PodWorkload[] = [];
  for (const doc of docs) {
    const d = obj(doc);
    const kind = str(d.kind) ?? '';
    const meta = obj(d.metadata);
    const spec = obj(d.spec);
    const name = `${kind}/${str(meta.name) ?? '?'}`;
    let template: Obj | undefined;
    let longRunning = false;
    if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet') {
      template = obj(spec.template);
      longRunning = true;
    } else if (kind === 'Job') {
      template = obj(spec.template);
    } else if (kind === 'CronJob') {
      template = obj(obj(obj(spec.jobTemplate).spec).template);
    }
    if (template) {
      out.push({
        kind,
        name,
        labels: obj(meta.labels),
        podMeta: obj(template.metadata),
        podSpec: obj(template.spec),
        longRunning,
        spec,
      });
    }
  }
  return out;
}

interface ContainerRef {
  container: Obj;
  init: boolean;
}

function containersOf(w: PodWorkload): ContainerRef[] {
  return [
    ...arr(w.podSpec.initContainers).map((c) => ({ container: obj(c), init: true })),
    ...arr(w.podSpec.containers).map((c) => ({ container: obj(c), init: false })),
  ];
}

function findByKindName(docs: readonly unknown[], kind: string, name: string): Obj | undefined {
  return docs.map(obj).find((d) => d.kind === kind && obj(d.metadata).name === name);
}

/** The environment a container would see: envFrom first, then env (env wins, as in Kubernetes). */
export function resolveContainerEnv(
  docs: readonly unknown[],
  w: PodWorkload,
  container: Obj,
): ContainerEnv {
  const vars = new Map<string, ResolvedEnvVar>();
  for (const from of arr(container.envFrom).map(obj)) {
    const prefix = str(from.prefix) ?? '';
    const cmName = str(obj(from.configMapRef).name);
    const secretName = str(obj(from.secretRef).name);
    if (cmName) {
      const cm = findByKindName(docs, 'ConfigMap', cmName);
      for (const [key, value] of Object.entries(obj(cm?.data))) {
        vars.set(prefix + key, { value: String(value), source: `configmap ${cmName}` });
      }
    }
    if (secretName) {
      // The real Secret is external; when the example is among the docs, its keys and placeholder values stand in.
      const secret = findByKindName(docs, 'Secret', secretName);
      for (const [key, value] of Object.entries(obj(secret?.data))) {
        vars.set(prefix + key, {
          value: Buffer.from(String(value), 'base64').toString('utf8'),
          source: `secret ${secretName}`,
        });
      }
      for (const [key, value] of Object.entries(obj(secret?.stringData))) {
        vars.set(prefix + key, { value: String(value), source: `secret ${secretName}` });
      }
    }
  }
  for (const e of arr(container.env).map(obj)) {
    const name = str(e.name);
    if (!name) continue;
    if (typeof e.value === 'string') vars.set(name, { value: e.value, source: 'env' });
    else vars.set(name, { source: 'valueFrom' });
  }
  return { workload: w.name, container: str(container.name) ?? '?', vars };
}

export function containerEnvironments(docs: readonly unknown[]): ContainerEnv[] {
  return workloadsOf(docs).flatMap((w) =>
    containersOf(w).map(({ container }) => resolveContainerEnv(docs, w, container)),
  );
}

/** Pause a preStop hook makes before SIGTERM, in ms; undefined when it cannot be read. */
export function preStopPauseMs(container: Obj): number | undefined {
  const preStop = obj(obj(container.lifecycle).preStop);
  if (Object.keys(preStop).length === 0) return 0;
  const sleepSeconds = obj(preStop.sleep).seconds;
  if (typeof sleepSeconds === 'number') return sleepSeconds * 1000;
  const command = arr(obj(preStop.exec).command).map(String);
  const script = command.join(' ');
  const timeout = /setTimeout\([^,]*,\s*(\d+)\s*\)/.exec(script);
  if (command[0]?.endsWith('node') && timeout) return Number(timeout[1]);
  const sleep = /(?:^|\s|\/)sleep\s+(\d+(?:\.\d+)?)\s*$/.exec(script);
  if (sleep) return Number(sleep[1]) * 1000;
  return undefined;
}

/** An API container: in a workload labelled component=api, or exposing a port named "http". */
function isHttpServer(w: PodWorkload, container: Obj): boolean {
  const labelled =
    w.labels[COMPONENT_LABEL] === 'api' || obj(w.podMeta.labels)[COMPONENT_LABEL] === 'api';
  return labelled || arr(container.ports).some((p) => obj(p).name === 'http');
}

function probePath(probe: unknown): string | undefined {
  return str(obj(obj(probe).httpGet).path);
}

function probePort(probe: unknown): unknown {
  const p = obj(probe);
  return obj(p.httpGet).port ?? obj(p.tcpSocket).port ?? obj(p.grpc).port;
}

function labelsMatch(selector: Obj, labels: Obj): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function intValue(v: ResolvedEnvVar | undefined): number | undefined {
  if (v?.value === undefined || !/^\d+$/.test(v.value)) return undefined;
  return Number(v.value);
}

export function findViolations(docs: readonly unknown[], options: InvariantOptions = {}): string[] {
  const violations: string[] = [];
  const add = (where: string, what: string): void => {
    violations.push(`${where}: ${what}`);
  };
  const workloads = workloadsOf(docs);
  const schemaKeys = options.schemaKeys ? new Set(options.schemaKeys) : undefined;
  const hpaTargets = new Set(
    docs
      .map(obj)
      .filter((d) => d.kind === 'HorizontalPodAutoscaler')
      .map(
        (d) =>
          `${str(obj(obj(d.spec).scaleTargetRef).kind) ?? '?'}/${str(obj(obj(d.spec).scaleTargetRef).name) ?? '?'}`,
      ),
  );

  for (const w of workloads) {
    const pod = w.podSpec;
    const podSc = obj(pod.securityContext);
    const annotations = obj(w.podMeta.annotations);
    const volumes = arr(pod.volumes).map(obj);

    if (hpaTargets.has(w.name) && w.spec.replicas !== undefined) {
      add(w.name, 'sets spec.replicas while an HPA scales it (every apply would reset the HPA)');
    }

    for (const { container: c, init } of containersOf(w)) {
      const where = `${w.name} ${init ? 'initContainer' : 'container'} ${str(c.name) ?? '?'}`;
      const env = resolveContainerEnv(docs, w, c).vars;

      // resources
      const resources = obj(c.resources);
      for (const section of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory'] as const) {
          if (obj(resources[section])[resource] === undefined)
            add(where, `resources.${section}.${resource} is missing`);
        }
      }

      // securityContext: container value wins over the pod's for the shared fields
      const sc = obj(c.securityContext);
      const eff = (key: string): unknown => (sc[key] !== undefined ? sc[key] : podSc[key]);
      if (eff('runAsNonRoot') !== true) add(where, 'securityContext.runAsNonRoot is not true');
      const uid = eff('runAsUser');
      if (typeof uid !== 'number' || uid === 0)
        add(where, 'securityContext.runAsUser is not a non-zero uid');
      if (sc.readOnlyRootFilesystem !== true)
        add(where, 'securityContext.readOnlyRootFilesystem is not true');
      if (sc.allowPrivilegeEscalation !== false)
        add(where, 'securityContext.allowPrivilegeEscalation is not false');
      if (sc.privileged === true) add(where, 'securityContext.privileged is true');
      if (!arr(obj(sc.capabilities).drop).includes('ALL'))
        add(where, 'securityContext.capabilities.drop does not include ALL');
      if (arr(obj(sc.capabilities).add).length > 0)
        add(where, 'securityContext.capabilities.add is not empty');
      const seccomp = str(obj(eff('seccompProfile')).type);
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
        add(where, 'securityContext.seccompProfile.type is not RuntimeDefault');
      }

      // a read-only root needs a writable /tmp
      const tmpMount = arr(c.volumeMounts)
        .map(obj)
        .find((m) => m.mountPath === '/tmp');
      const tmpVolume = tmpMount && volumes.find((v) => v.name === tmpMount.name);
      if (!tmpVolume || tmpVolume.emptyDir === undefined)
        add(where, 'no emptyDir volume mounted on /tmp');

      // env names vs the app's config schema
      if (schemaKeys) {
        for (const [name, v] of env) {
          if (!schemaKeys.has(name))
            add(where, `env ${name} (from ${v.source}) is not in envSchema`);
        }
      }

      // the rest concerns the main containers only
      if (init) continue;

      // ports vs config
      const ports = arr(c.ports).map(obj);
      const portNamed = (name: string): number | undefined => {
        const p = ports.find((x) => x.name === name)?.containerPort;
        return typeof p === 'number' ? p : undefined;
      };
      const httpPort = portNamed('http');
      const metricsPort = portNamed('metrics');
      const configuredPort = intValue(env.get('PORT'));
      const configuredMetricsPort = intValue(env.get('METRICS_PORT'));
      if (httpPort !== undefined && httpPort !== configuredPort) {
        add(
          where,
          `containerPort "http" ${httpPort} differs from PORT ${env.get('PORT')?.value ?? '(unset)'}`,
        );
      }
      if (w.longRunning && metricsPort === undefined)
        add(where, 'no containerPort named "metrics"');
      if (metricsPort !== undefined) {
        if (metricsPort !== configuredMetricsPort) {
          add(
            where,
            `containerPort "metrics" ${metricsPort} differs from METRICS_PORT ${env.get('METRICS_PORT')?.value ?? '(unset)'}`,
          );
        }
        if (annotations['prometheus.io/scrape'] !== 'true')
          add(where, 'pod lacks annotation prometheus.io/scrape: "true"');
        if (annotations['prometheus.io/port'] !== String(metricsPort)) {
          add(
            where,
            `pod annotation prometheus.io/port ${String(annotations['prometheus.io/port'])} differs from metrics port ${metricsPort}`,
          );
        }
      }
      const portNames = new Set(ports.map((p) => p.name));
      const portNumbers = new Set(ports.map((p) => p.containerPort));
      for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const port = probePort(c[probeName]);
        if (port === undefined) continue;
        if (typeof port === 'string' ? !portNames.has(port) : !portNumbers.has(port)) {
          add(
            where,
            `${probeName} targets port ${String(port)}, which the container does not declare`,
          );
        }
      }

      // probes
      if (isHttpServer(w, c)) {
        if (probePath(c.startupProbe) !== '/health/ready')
          add(where, 'startupProbe is not an httpGet of /health/ready');
        if (probePath(c.readinessProbe) !== '/health/ready')
          add(where, 'readinessProbe is not an httpGet of /health/ready');
        if (probePath(c.livenessProbe) !== '/health/live')
          add(where, 'livenessProbe is not an httpGet of /health/live');
        if (
          obj(obj(c.lifecycle).preStop).exec === undefined &&
          obj(obj(c.lifecycle).preStop).sleep === undefined
        ) {
          add(where, 'no lifecycle.preStop pause before SIGTERM');
        }
        const concurrency = env.get('WEB_CONCURRENCY')?.value;
        if (concurrency !== '1')
          add(
            where,
            `WEB_CONCURRENCY is ${concurrency ?? '(unset)'}, must be 1 (one process per pod)`,
          );
      } else if (w.longRunning) {
        if (c.livenessProbe === undefined) add(where, 'no livenessProbe');
        for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const port = probePort(c[probeName]);
          if (port === 'http' || (port !== undefined && port === configuredPort)) {
            add(where, `${probeName} probes the public HTTP port on a non-HTTP container`);
          }
        }
      }

      // termination: the kubelet SIGKILLs after the grace period, counted from the start of preStop
      if (w.longRunning) {
        const pause = preStopPauseMs(c);
        const drain = intValue(env.get('SHUTDOWN_DRAIN_DELAY_MS'));
        const timeout = intValue(env.get('SHUTDOWN_TIMEOUT_MS'));
        const grace = pod.terminationGracePeriodSeconds;
        if (pause === undefined) add(where, 'cannot read the preStop pause length');
        if (drain === undefined) add(where, 'SHUTDOWN_DRAIN_DELAY_MS is not set to a number of ms');
        if (timeout === undefined) add(where, 'SHUTDOWN_TIMEOUT_MS is not set to a number of ms');
        if (typeof grace !== 'number') add(where, 'terminationGracePeriodSeconds is not set');
        if (
          pause !== undefined &&
          drain !== undefined &&
          timeout !== undefined &&
          typeof grace === 'number'
        ) {
          const neededMs = pause + drain + timeout;
          if (grace * 1000 <= neededMs) {
            add(
              where,
              `terminationGracePeriodSeconds ${grace}s is not greater than preStop ${pause}ms + drain ${drain}ms + shutdown timeout ${timeout}ms = ${neededMs}ms`,
            );
          }
        }
      }
    }

    // envFrom must point at objects that exist here (the app Secret is external, see secret.example.yaml)
    for (const { container } of containersOf(w)) {
      for (const from of arr(container.envFrom).map(obj)) {
        const cm = str(obj(from.configMapRef).name);
        if (cm && !findByKindName(docs, 'ConfigMap', cm))
          add(w.name, `envFrom ConfigMap ${cm} is not defined`);
      }
    }
  }

  // one image for every app container, so api, worker and migrate cannot drift apart
  const images = new Set(
    workloads.flatMap((w) => containersOf(w).map(({ container }) => str(container.image))),
  );
  if (images.size > 1) add('images', `containers use different images: ${[...images].join(', ')}`);

  for (const d of docs.map(obj)) {
    const name = `${str(d.kind) ?? '?'}/${str(obj(d.metadata).name) ?? '?'}`;
    const spec = obj(d.spec);
    if (d.kind === 'Service') {
      const selector = obj(spec.selector);
      const selected = workloads.filter((w) => labelsMatch(selector, obj(w.podMeta.labels)));
      if (selected.length === 0) add(name, 'selector matches no pod template');
      for (const port of arr(spec.ports).map(obj)) {
        const target = port.targetPort ?? port.port;
        const served = selected.some((w) =>
          containersOf(w).some(({ container }) =>
            arr(container.ports).some((p) =>
              typeof target === 'string' ? obj(p).name === target : obj(p).containerPort === target,
            ),
          ),
        );
        if (!served) add(name, `targetPort ${String(target)} is not a port of the selected pods`);
      }
    }
    if (d.kind === 'Ingress') {
      const backends = arr(spec.rules).flatMap((r) =>
        arr(obj(obj(r).http).paths).map((p) => obj(obj(obj(p).backend).service)),
      );
      for (const backend of backends) {
        const svc = findByKindName(docs, 'Service', str(backend.name) ?? '');
        const portRef = obj(backend.port);
        if (!svc) add(name, `backend Service ${String(backend.name)} is not defined`);
        else if (
          !arr(obj(svc.spec).ports).some((p) =>
            portRef.name !== undefined
              ? obj(p).name === portRef.name
              : obj(p).port === portRef.number,
          )
        ) {
          add(
            name,
            `backend port ${JSON.stringify(portRef)} is not a port of Service ${String(backend.name)}`,
          );
        }
      }
    }
    if (d.kind === 'HorizontalPodAutoscaler') {
      const ref = obj(spec.scaleTargetRef);
      if (!findByKindName(docs, str(ref.kind) ?? '', str(ref.name) ?? ''))
        add(name, `scaleTargetRef ${String(ref.kind)}/${String(ref.name)} is not defined`);
      const behavior = obj(spec.behavior);
      if (behavior.scaleUp === undefined || behavior.scaleDown === undefined)
        add(name, 'behavior.scaleUp and behavior.scaleDown must both be set');
      const cpu = arr(spec.metrics).some(
        (m) => obj(m).type === 'Resource' && obj(obj(m).resource).name === 'cpu',
      );
      if (!cpu) add(name, 'no CPU resource metric');
    }
    if (d.kind === 'PodDisruptionBudget') {
      const selector = obj(obj(spec.selector).matchLabels);
      if (!workloads.some((w) => labelsMatch(selector, obj(w.podMeta.labels))))
        add(name, 'selector matches no pod template');
    }
  }

  return violations;
}
