import { describe, expect, it } from 'vitest';
import { StepCursor } from '../../src/controller/step-cursor.js';

describe('StepCursor', () => {
  const steps = [
    { atMs: 0, total: 1 },
    { atMs: 20, total: 3 },
    { atMs: 40, total: 6 },
  ];

  it('gives the total of the latest step due, and each step once', () => {
    const cursor = new StepCursor(steps);
    expect(cursor.dueBy(0)).toBe(1);
    expect(cursor.dueBy(10)).toBe(-1);
    expect(cursor.dueBy(45)).toBe(6);
    expect(cursor.dueBy(1000)).toBe(-1);
  });

  it('says -1 for an empty plan', () => {
    expect(new StepCursor([]).dueBy(1e9)).toBe(-1);
  });
});
