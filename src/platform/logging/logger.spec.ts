import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, PinoNestLogger } from '#src/platform/logging/logger.js';

function capture(level: 'info' | 'debug'): { nest: PinoNestLogger; lines: () => unknown[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const nest = new PinoNestLogger(createLogger(level, stream));
  const lines = (): unknown[] =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const { level: lvl, context, msg } = JSON.parse(l) as Record<string, unknown>;
        return [lvl, context, msg];
      });
  return { nest, lines };
}

describe('PinoNestLogger', () => {
  it("keeps Nest's start-up chatter (modules, routes) at debug, other messages at their level", () => {
    const { nest, lines } = capture('info');
    nest.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    nest.log('HealthController {/health}:', 'RoutesResolver');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('Starting Nest application...', 'NestFactory');
    nest.log('Nest application successfully started', 'NestApplication');
    nest.log('Built-in protected list updated', 'ProtectedListsService');
    nest.warn('a warning', 'RouterExplorer');
    expect(lines()).toEqual([
      ['info', 'ProtectedListsService', 'Built-in protected list updated'],
      ['warn', 'RouterExplorer', 'a warning'],
    ]);
  });

  it('shows the chatter at LOG_LEVEL=debug', () => {
    const { nest, lines } = capture('debug');
    nest.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    expect(lines()).toEqual([['debug', 'RouterExplorer', 'Mapped {/health/live, GET} route']]);
  });
});
