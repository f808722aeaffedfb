import { withJsonFlag } from './http.js';

describe('withJsonFlag', () => {
  it('adds --json at the end when there is no operand separator', () => {
    expect(withJsonFlag(['keys', 'list'])).toEqual(['keys', 'list', '--json']);
  });

  it("adds --json before '--', so a kid starting with '-' stays an operand and --json an option", () => {
    expect(withJsonFlag(['keys', 'revoke', '--reason', 'leak', '--', '-AbCdEfGh'])).toEqual([
      'keys',
      'revoke',
      '--reason',
      'leak',
      '--json',
      '--',
      '-AbCdEfGh',
    ]);
  });
});
