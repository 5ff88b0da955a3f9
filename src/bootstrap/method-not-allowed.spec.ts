import { AllowedMethods } from './method-not-allowed.js';

describe('AllowedMethods', () => {
  const routes = () => {
    const allowed = new AllowedMethods();
    allowed.add(['GET', 'HEAD'], '/products');
    allowed.add('POST', '/products');
    allowed.add('GET', '/products/:id');
    allowed.add('PATCH', '/products/:id');
    allowed.add('OPTIONS', '*'); // CORS preflight answers every path
    return allowed;
  };

  it('lists the methods that serve a concrete path, parameters and query included', () => {
    expect(routes().allowedFor('/products')).toEqual(['GET', 'HEAD', 'POST']);
    expect(
      routes().allowedFor('/products/0b6c8f4e-1f0c-4a52-9b8e-3c1d2e4f5a6b?fields=name'),
    ).toEqual(['GET', 'PATCH']);
  });

  it('is empty for a path no route serves, whatever catch-all exists', () => {
    expect(routes().allowedFor('/nothing/here')).toEqual([]);
    expect(routes().allowedFor('/products/1/reviews')).toEqual([]);
  });

  it('takes the same route twice (one path under two constraints)', () => {
    const allowed = routes();
    allowed.add('GET', '/products');
    expect(allowed.allowedFor('/products')).toEqual(['GET', 'HEAD', 'POST']);
  });
});
