import { describe, it } from '@jest/globals';
import { resolversInstalled } from '#bench/support/resolver-lab.js';

export { dig, freePort, ResolverLab, sleep, until } from '#bench/support/resolver-lab.js';

export const RESOLVERS = resolversInstalled();

/** Runs `body` when the resolvers are installed; elsewhere skips it, and under CI fails. */
export const describeResolvers = (name: string, body: () => void): void => {
  if (RESOLVERS) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => {
      it('has named, unbound, rndc, unbound-control and dig', () => {
        throw new Error(
          'a DNS tool is missing: .ci/run installs bind9, bind9-utils, bind9-dnsutils, unbound',
        );
      });
    });
  }
  console.warn(`Skipping "${name}": install bind9, bind9-utils, unbound and bind9-dnsutils`);
  describe.skip(name, body);
};
