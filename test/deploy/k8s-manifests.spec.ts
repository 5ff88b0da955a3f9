// Offline checks of k8s/: YAML parses, every object validates against the
// Kubernetes schema, kustomize renders, and the production invariants hold
// (and provably fire when broken). No cluster needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findViolations, preStopPauseMs, workloadsOf } from './manifest-invariants.js';
import { kubernetesSchemaErrors } from './kubernetes-schema.js';
import {
  KUSTOMIZATION_FILE,
  SECRET_EXAMPLE_FILE,
  clone,
  k8sDir,
  kubectlPath,
  loadK8sFiles,
  loadK8sObjects,
  parseYamlDocuments,
  run,
  type Manifest,
} from './support.js';

type Obj = Record<string, unknown>;

const files = loadK8sFiles();
const objects = loadK8sObjects();

function find(docs: Manifest[], kind: string, name: string): Obj {
  const doc = docs.find((d) => d.kind === kind && (d.metadata as Obj).name === name);
  if (!doc) throw new Error(`${kind}/${name} not found`);
  return doc;
}

function container(docs: Manifest[], kind: string, name: string, containerName: string): Obj {
  const spec = ((find(docs, kind, name).spec as Obj).template as Obj).spec as Obj;
  const c = (spec.containers as Obj[]).find((x) => x.name === containerName);
  if (!c) throw new Error(`container ${containerName} not in ${kind}/${name}`);
  return c;
}

describe('k8s manifests', () => {
  it('has the expected files, each parsing as YAML', () => {
    const names = files.map((f) => f.file);
    for (const required of [
      KUSTOMIZATION_FILE,
      SECRET_EXAMPLE_FILE,
      'api-deployment.yaml',
      'worker-deployment.yaml',
      'service.yaml',
      'ingress.yaml',
      'hpa.yaml',
      'pdb.yaml',
      'configmap.yaml',
      'migrate-job.yaml',
    ]) {
      expect(names).toContain(required);
    }
    for (const f of files) expect(f.docs.length).toBeGreaterThan(0);
  });

  it.each(objects.map((doc) => [`${String(doc.kind)}/${String((doc.metadata as Obj).name)}`, doc]))(
    '%s validates against the Kubernetes schema (kubernetes-models)',
    (_name, doc) => {
      expect(kubernetesSchemaErrors(doc as Manifest)).toEqual([]);
    },
  );

  it('kustomization.yaml lists every manifest except the secret example, and nothing missing', () => {
    const kustomization = parse(readFileSync(join(k8sDir(), KUSTOMIZATION_FILE), 'utf8')) as Obj;
    const resources = (kustomization.resources as string[]).slice().sort();
    const manifests = files
      .map((f) => f.file)
      .filter((f) => f !== KUSTOMIZATION_FILE && f !== SECRET_EXAMPLE_FILE)
      .sort();
    expect(resources).toEqual(manifests);
    // The example must never be applied over the real Secret.
    expect(resources).not.toContain(SECRET_EXAMPLE_FILE);
  });

  it('the secret example holds placeholders only', () => {
    const secret = find(objects, 'Secret', 'nest-at-scale-secrets');
    expect(secret.data).toBeUndefined();
    for (const [key, value] of Object.entries(secret.stringData as Obj)) {
      // every credential-bearing value carries the placeholder marker
      if (/URL|SECRET|PASSWORD/.test(key) && key !== 'ADMIN_EMAIL')
        expect(String(value)).toContain('REPLACE_ME');
    }
  });

  it('every workload keeps the production invariants', () => {
    expect(findViolations(objects)).toEqual([]);
  });

  describe('kubectl (offline)', () => {
    const withKubectl = kubectlPath ? it : it.skip;
    const skipNote = kubectlPath
      ? ''
      : ' [SKIPPED: kubectl not found at /usr/bin/kubectl or on PATH]';

    withKubectl(
      `\`kubectl kustomize k8s\` renders, and the rendered objects validate and keep the invariants${skipNote}`,
      () => {
        const rendered = parseYamlDocuments(
          run(kubectlPath as string, ['kustomize', 'k8s']),
          'kubectl kustomize k8s',
        );
        const kinds = rendered
          .map((d) => `${String(d.kind)}/${String((d.metadata as Obj).name)}`)
          .sort();
        expect(kinds).toEqual(
          objects
            .filter((d) => d.kind !== 'Secret')
            .map((d) => `${String(d.kind)}/${String((d.metadata as Obj).name)}`)
            .sort(),
        );
        for (const doc of rendered) {
          expect({
            doc: `${String(doc.kind)}/${String((doc.metadata as Obj).name)}`,
            errors: kubernetesSchemaErrors(doc),
          }).toEqual({
            doc: `${String(doc.kind)}/${String((doc.metadata as Obj).name)}`,
            errors: [],
          });
          if (doc.kind !== 'Namespace')
            expect((doc.metadata as Obj).namespace).toBe('nest-at-scale');
        }
        for (const w of workloadsOf(rendered)) {
          for (const c of w.podSpec.containers as Obj[])
            expect(c.image).toMatch(/^[^:]+\/nest-at-scale:[\w.-]+$/);
        }
        // the real Secret is external: add the example only to resolve its keys
        expect(
          findViolations([...rendered, find(objects, 'Secret', 'nest-at-scale-secrets')]),
        ).toEqual([]);
      },
    );
  });
});

describe('manifest invariants bite (broken copies of the real manifests)', () => {
  type Target = readonly [kind: string, name: string, container: string];
  const api = (): Target => ['Deployment', 'nest-at-scale-api', 'api'];
  const worker = (): Target => ['Deployment', 'nest-at-scale-worker', 'worker'];
  const job = (): Target => ['Job', 'nest-at-scale-migrate', 'migrate'];

  function mutate(fn: (docs: Manifest[]) => void): string[] {
    const docs = clone(objects);
    fn(docs);
    return findViolations(docs);
  }

  it.each(['startupProbe', 'readinessProbe', 'livenessProbe'])(
    'API container without %s is a violation',
    (probe) => {
      const violations = mutate((docs) => {
        delete container(docs, ...api())[probe];
      });
      expect(violations).toEqual([
        expect.stringMatching(new RegExp(`Deployment/nest-at-scale-api container api: ${probe}`)),
      ]);
    },
  );

  it('worker without a livenessProbe is a violation', () => {
    const violations = mutate((docs) => {
      delete container(docs, ...worker()).livenessProbe;
    });
    expect(violations).toEqual([
      expect.stringContaining('Deployment/nest-at-scale-worker container worker: no livenessProbe'),
    ]);
  });

  it('worker probing the public HTTP port is a violation', () => {
    const violations = mutate((docs) => {
      container(docs, ...worker()).readinessProbe = {
        httpGet: { path: '/health/ready', port: 3000 },
      };
    });
    expect(violations).toEqual([
      expect.stringContaining(
        'readinessProbe targets port 3000, which the container does not declare',
      ),
      expect.stringContaining('readinessProbe probes the public HTTP port on a non-HTTP container'),
    ]);
  });

  it.each([
    ['api', api],
    ['worker', worker],
    ['migrate job', job],
  ] as const)('%s container without resources.limits.memory is a violation', (_label, target) => {
    const violations = mutate((docs) => {
      delete ((container(docs, ...target()).resources as Obj).limits as Obj).memory;
    });
    expect(violations).toEqual([expect.stringContaining('resources.limits.memory is missing')]);
  });

  it('a container without any resources lists all four', () => {
    const violations = mutate((docs) => {
      delete container(docs, ...api()).resources;
    });
    expect(violations.filter((v) => v.includes('resources.'))).toHaveLength(4);
  });

  it.each([
    ['api', api],
    ['worker', worker],
    ['migrate job', job],
  ] as const)(
    '%s without any securityContext (container and pod) is a violation for each field',
    (_label, target) => {
      const violations = mutate((docs) => {
        const [kind, name] = target();
        delete container(docs, ...target()).securityContext;
        delete (((find(docs, kind, name).spec as Obj).template as Obj).spec as Obj).securityContext;
      });
      for (const field of [
        'runAsNonRoot',
        'runAsUser',
        'readOnlyRootFilesystem',
        'allowPrivilegeEscalation',
        'capabilities.drop',
        'seccompProfile',
      ]) {
        expect(violations.join('\n')).toContain(`securityContext.${field}`);
      }
    },
  );

  it.each([
    ['allowPrivilegeEscalation', true, 'allowPrivilegeEscalation is not false'],
    ['readOnlyRootFilesystem', false, 'readOnlyRootFilesystem is not true'],
    ['runAsUser', 0, 'runAsUser is not a non-zero uid'],
    ['capabilities', { drop: ['NET_RAW'] }, 'capabilities.drop does not include ALL'],
  ] as const)('securityContext.%s = %j is a violation', (field, value, message) => {
    const violations = mutate((docs) => {
      (container(docs, ...api()).securityContext as Obj)[field] = value;
    });
    expect(violations).toEqual([expect.stringContaining(message)]);
  });

  it('no emptyDir on /tmp next to a read-only root is a violation', () => {
    const violations = mutate((docs) => {
      delete container(docs, ...api()).volumeMounts;
    });
    expect(violations).toEqual([expect.stringContaining('no emptyDir volume mounted on /tmp')]);
  });

  it('a grace period not above preStop + drain + shutdown timeout is a violation', () => {
    const violations = mutate((docs) => {
      ((find(docs, 'Deployment', 'nest-at-scale-api').spec as Obj).template as Obj).spec = {
        ...(((find(docs, 'Deployment', 'nest-at-scale-api').spec as Obj).template as Obj)
          .spec as Obj),
        terminationGracePeriodSeconds: 25,
      };
    });
    expect(violations).toEqual([
      expect.stringContaining(
        'terminationGracePeriodSeconds 25s is not greater than preStop 5000ms + drain 5000ms + shutdown timeout 15000ms',
      ),
    ]);
  });

  it('raising SHUTDOWN_TIMEOUT_MS in the ConfigMap breaks the grace-period rule', () => {
    const violations = mutate((docs) => {
      (find(docs, 'ConfigMap', 'nest-at-scale-config').data as Obj).SHUTDOWN_TIMEOUT_MS = '30000';
    });
    // the worker overrides SHUTDOWN_TIMEOUT_MS itself, so only the API is affected
    expect(violations).toEqual([
      expect.stringContaining(
        'Deployment/nest-at-scale-api container api: terminationGracePeriodSeconds 35s',
      ),
    ]);
  });

  it('an API container without a preStop pause is a violation', () => {
    const violations = mutate((docs) => {
      delete container(docs, ...api()).lifecycle;
    });
    expect(violations).toEqual([expect.stringContaining('no lifecycle.preStop pause')]);
  });

  it('reads the preStop pause from exec node, exec sleep and the sleep action', () => {
    expect(preStopPauseMs(container(objects, ...api()))).toBe(5000);
    expect(preStopPauseMs({ lifecycle: { preStop: { sleep: { seconds: 7 } } } })).toBe(7000);
    expect(
      preStopPauseMs({
        lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 3'] } } },
      }),
    ).toBe(3000);
    expect(
      preStopPauseMs({ lifecycle: { preStop: { exec: { command: ['curl', 'x'] } } } }),
    ).toBeUndefined();
    expect(preStopPauseMs({})).toBe(0);
  });

  it('WEB_CONCURRENCY other than 1 in a pod is a violation', () => {
    const violations = mutate((docs) => {
      (container(docs, ...api()).env as Obj[]).find((e) => e.name === 'WEB_CONCURRENCY')!.value =
        '2';
    });
    expect(violations).toEqual([expect.stringContaining('WEB_CONCURRENCY is 2, must be 1')]);
  });

  it('a container port that disagrees with PORT / METRICS_PORT is a violation', () => {
    const violations = mutate((docs) => {
      const data = find(docs, 'ConfigMap', 'nest-at-scale-config').data as Obj;
      data.PORT = '8080';
      data.METRICS_PORT = '9100';
    });
    expect(violations.join('\n')).toContain('containerPort "http" 3000 differs from PORT 8080');
    expect(violations.join('\n')).toContain(
      'containerPort "metrics" 9464 differs from METRICS_PORT 9100',
    );
  });

  it('a missing prometheus.io/port annotation is a violation', () => {
    const violations = mutate((docs) => {
      const meta = ((find(docs, 'Deployment', 'nest-at-scale-worker').spec as Obj).template as Obj)
        .metadata as Obj;
      delete (meta.annotations as Obj)['prometheus.io/port'];
    });
    expect(violations).toEqual([
      expect.stringContaining('prometheus.io/port undefined differs from metrics port 9464'),
    ]);
  });

  it('a Service targetPort no pod declares is a violation', () => {
    const violations = mutate((docs) => {
      ((find(docs, 'Service', 'nest-at-scale-api').spec as Obj).ports as Obj[])[0].targetPort =
        'web';
    });
    expect(violations).toEqual([
      expect.stringContaining('targetPort web is not a port of the selected pods'),
    ]);
  });

  it('spec.replicas on an HPA-scaled Deployment is a violation', () => {
    const violations = mutate((docs) => {
      (find(docs, 'Deployment', 'nest-at-scale-api').spec as Obj).replicas = 3;
    });
    expect(violations).toEqual([
      expect.stringContaining('sets spec.replicas while an HPA scales it'),
    ]);
  });

  it('the API and worker running different images is a violation', () => {
    const violations = mutate((docs) => {
      container(docs, ...worker()).image = 'nest-at-scale-worker';
    });
    expect(violations).toEqual([expect.stringContaining('containers use different images')]);
  });
});
