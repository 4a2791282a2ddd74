// The upload benchmarks' baseline: one plain HTTP PUT of a file to a loopback server that reads
// and discards the bytes. Returns the seconds it took.
import { createReadStream } from 'node:fs';
import http from 'node:http';

export async function plainPutSeconds(file: string, size: number): Promise<number> {
  const sink = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  try {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: (sink.address() as { port: number }).port, method: 'PUT', path: '/', headers: { 'content-length': size } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      createReadStream(file).pipe(req);
    });
    return (performance.now() - start) / 1000;
  } finally {
    sink.close();
  }
}
