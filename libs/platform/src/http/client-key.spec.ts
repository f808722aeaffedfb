import { clientKeyOf } from './client-key.js';

describe('the key a per-address budget counts under', () => {
  it('is an IPv4 address itself', () => {
    expect(clientKeyOf('203.0.113.5')).toBe('203.0.113.5');
    expect(clientKeyOf('127.0.0.1')).toBe('127.0.0.1');
  });

  it('is the IPv4 address of an IPv4-mapped IPv6 address, in either notation', () => {
    expect(clientKeyOf('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(clientKeyOf('::FFFF:cb00:7105')).toBe('203.0.113.5');
    expect(clientKeyOf('0:0:0:0:0:ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('is the /64 of an IPv6 address: every address of one /64 shares one budget', () => {
    const key = clientKeyOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientKeyOf('2001:db8:1:2::1')).toBe(key);
    expect(clientKeyOf('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientKeyOf('2001:db8:1:3::1')).not.toBe(key);
  });

  it('expands :: wherever it stands, and drops a zone id', () => {
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientKeyOf('::2:3:4:5:6:7:8')).toBe('0:2:3:4::/64');
    expect(clientKeyOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps anything that is not an IP address as it is', () => {
    expect(clientKeyOf('unix-socket')).toBe('unix-socket');
    expect(clientKeyOf('')).toBe('');
  });
});
