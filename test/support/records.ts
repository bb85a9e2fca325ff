/** Job records as the job store writes them, for tests that plant one by hand. */

/** A valid record of a finished local job `id`, with `fields` replacing (or, when undefined, removing) some. */
export function jobRecordText(id: string, fields: Record<string, unknown> = {}): string {
  const record: Record<string, unknown> = {
    version: 1,
    id,
    name: id,
    provider: 'local',
    strategy: 'one-device',
    state: 'SUCCEEDED',
    runDir: `gs://bucket/runs/${id}`,
    jobDir: `/tmp/${id}`,
    replicaCount: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    handle: { provider: 'local', id, data: {} },
    ...fields,
  };
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete record[key];
  return JSON.stringify(record);
}
