import { describe, expect, it } from 'vitest';
import { blockedRange, strictAddressPolicy, testOnlyAddressPolicy } from '../../../lib/inputs/ipPolicy';

describe('ipPolicy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback, IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback, IPv4-mapped'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback, 6to4'],
    ['2001:db8::1', 'documentation'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (address, label) => {
    expect(blockedRange(address)).toContain(label);
    expect(strictAddressPolicy.check(address, 443)).toMatchObject({ allowed: false });
  });

  it.each(['8.8.8.8', '20.60.0.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows public %s',
    (address) => {
      expect(blockedRange(address)).toBeUndefined();
      expect(strictAddressPolicy.check(address, 443)).toEqual({ allowed: true });
    },
  );

  it('refuses what is not an IP address', () => {
    expect(blockedRange('localhost')).toBe('not an IP address');
    expect(blockedRange('2130706433')).toBe('not an IP address');
  });

  it('test-only policy allows exactly the listed address:port pairs', () => {
    const policy = testOnlyAddressPolicy(['127.0.0.1:8443', '[::1]:8443']);
    expect(policy.check('127.0.0.1', 8443)).toEqual({ allowed: true });
    expect(policy.check('::1', 8443)).toEqual({ allowed: true });
    expect(policy.check('127.0.0.1', 8444)).toMatchObject({ allowed: false });
    expect(policy.check('10.0.0.1', 8443)).toMatchObject({ allowed: false });
  });
});
