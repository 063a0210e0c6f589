import { describe, expect, it } from '@jest/globals';
import { fieldChanges } from '#src/platform/audit-log/field-changes.js';

describe('fieldChanges', () => {
  it('lists the given fields whose value changed, as plain JSON', () => {
    const before = {
      name: 'Old',
      roles: ['analyst'],
      disabled: false,
      validUntil: new Date('2026-01-01T00:00:00Z'),
      contacts: { email: 'a@x.vn', phone: '1' },
    };
    expect(
      fieldChanges(before, {
        name: 'New',
        roles: ['analyst'],
        disabled: undefined,
        validUntil: new Date('2026-02-01T00:00:00Z'),
        // The same object with its keys in another order is no change.
        contacts: { phone: '1', email: 'a@x.vn' },
      }),
    ).toEqual({
      name: { from: 'Old', to: 'New' },
      validUntil: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
    });
  });

  it('says null for a field that had no value', () => {
    expect(fieldChanges({}, { description: 'x' })).toEqual({
      description: { from: null, to: 'x' },
    });
    expect(fieldChanges({ description: 'x' }, { description: null })).toEqual({
      description: { from: 'x', to: null },
    });
  });
});
