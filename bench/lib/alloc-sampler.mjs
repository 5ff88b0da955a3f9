// Allocation sampling for one app process, loaded with `node --import` (see bench/README.md): V8's
// sampling heap profiler with the objects the GC already collected kept in, so the profile shows where
// the allocation *rate* comes from (what the scavenges pay for). `--heap-prof` keeps only objects still
// alive when it stops, which under steady load is mostly startup code.
//
// ALLOC_PROFILE_DIR   where to write alloc-<pid>.heapprofile (required; nothing runs without it)
// ALLOC_START_MS      wait after start-up before sampling (default 6000: past boot, into the load)
// ALLOC_SPAN_MS       how long to sample (default 5000)
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const dir = process.env.ALLOC_PROFILE_DIR;
if (dir) {
  const startMs = Number(process.env.ALLOC_START_MS ?? 6000);
  const spanMs = Number(process.env.ALLOC_SPAN_MS ?? 5000);
  const session = new Session();
  session.connect();
  const fail = (error) => error && console.error(`alloc-sampler: ${error.message}`);
  setTimeout(() => {
    session.post('HeapProfiler.enable', (error) => {
      if (error) return fail(error);
      session.post(
        'HeapProfiler.startSampling',
        {
          samplingInterval: 8192, // bytes between samples on average
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        },
        fail,
      );
    });
    setTimeout(() => {
      session.post('HeapProfiler.stopSampling', (error, result) => {
        if (error) return fail(error);
        const file = join(dir, `alloc-${process.pid}.heapprofile`);
        writeFileSync(file, JSON.stringify(result.profile));
      });
    }, spanMs).unref();
  }, startMs).unref();
}
