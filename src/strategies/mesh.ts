/**
 * DTensor meshes: the mesh must cover exactly the devices of the plan, and
 * every client gets DTensor's multi-client variables.
 * (https://www.tensorflow.org/guide/dtensor_overview, dtensor.initialize_accelerator_system)
 */

import type { SpecIssue } from '../errors.ts';
import type { JobSpec, Mesh } from '../spec/schema.ts';
import type { ReplicaPlan } from './plan.ts';

export function meshSize(mesh: Mesh): number {
  return Object.values(mesh).reduce((a, b) => a * b, 1);
}

export function checkMesh(spec: JobSpec, devices: number): SpecIssue[] {
  const { mesh } = spec;
  if (!mesh) return [];
  if (spec.strategy === 'parameter-server') {
    return [
      {
        path: 'mesh',
        message: 'DTensor meshes do not combine with parameter servers',
        received: mesh,
        fix: 'remove mesh, or use multi-worker-mirrored or tpu',
      },
    ];
  }
  const size = meshSize(mesh);
  if (size === devices) return [];
  const product = Object.values(mesh).join(' × ');
  return [
    {
      path: 'mesh',
      message: `covers ${size} devices (${product}) but the plan has ${devices}`,
      received: mesh,
      fix: `make the sizes multiply to ${devices}`,
    },
  ];
}

/** DTensor clients: every replica that runs the program, except the evaluator. */
export function addMeshEnv(replicas: ReplicaPlan[], mesh: Mesh): void {
  const clients = replicas.filter((r) => r.runsProgram && r.role !== 'evaluator' && r.role !== 'ps');
  const jobs = clients.map((r) => r.address).join(',');
  clients.forEach((client, id) => {
    client.env.DTENSOR_JOBS = jobs;
    client.env.DTENSOR_CLIENT_ID = String(id);
    client.env.DTENSOR_NUM_CLIENTS = String(clients.length);
    client.env.DTENSOR_JOB_NAME = 'worker';
  });
  const meshJson = JSON.stringify(mesh);
  for (const r of replicas) if (r.runsProgram) r.env.STRATO_MESH = meshJson;
}
