/**
 * nginx as a second reference in front of the mock (issue 17 point 2 compares the gateway's CPU per
 * stream with a plain proxy's): Debian's nginx, one process (master_process off), no buffering either
 * way, keep-alive to the upstream. Skipped when nginx is not installed (`apt-get install nginx-light`).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startCommand, type Service } from './processes.js'

export function nginxPath(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate
  }
  return undefined
}

export async function startNginx(binary: string, dir: string, port: number, upstreamUrl: string): Promise<Service> {
  const prefix = join(dir, 'nginx')
  mkdirSync(prefix, { recursive: true })
  const upstream = new URL(upstreamUrl)
  const temp = (name: string) => `${name}_temp_path ${join(prefix, name)};`
  const config = `worker_processes 1;
daemon off;
master_process off;
error_log stderr error;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 8192; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  upstream mock { server ${upstream.host}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 32m;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`
  const file = join(prefix, 'nginx.conf')
  writeFileSync(file, config)
  return startCommand(binary, ['-p', prefix, '-c', file], '/healthz', port)
}
