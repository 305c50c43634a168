import * as assert from 'assert';
import { UserError } from '../../../src/errors';
import { evaluateGate, holds, parseConditions, parseMetricsJson } from '../../../src/models/gate';

describe('Metric conditions', () => {
  it('reads one condition per line with every operator, skipping blank lines and comments', () => {
    const c = parseConditions('metricConditions', 'accuracy >= 0.9\n\n# quality\nrmse<3.5\nf1 > 0.5\nloss <= 1e-2\nepochs == 10\nval.auc != 0');
    assert.deepStrictEqual(
      c.map((x) => [x.metric, x.operator, x.threshold, x.line]),
      [['accuracy', '>=', 0.9, 1], ['rmse', '<', 3.5, 4], ['f1', '>', 0.5, 5], ['loss', '<=', 0.01, 6], ['epochs', '==', 10, 7], ['val.auc', '!=', 0, 8]],
    );
  });

  for (const bad of ['accuracy => 0.9', 'accuracy >= high', 'accuracy', '>= 0.9', 'accuracy >= 0.9 0.8', 'accuracy = 0.9']) {
    it(`refuses '${bad}' with the input name and the line`, () => {
      assert.throws(
        () => parseConditions('metricConditions', `rmse < 3\n${bad}`),
        (e: unknown) => e instanceof UserError && e.input === 'metricConditions' && /^Input 'metricConditions', line 2: '.*' is not a metric condition\. .*'accuracy >= 0\.9'/.test(e.message),
      );
    });
  }

  it('compares with each operator', () => {
    assert.deepStrictEqual(
      (['>=', '>', '<=', '<', '==', '!='] as const).map((op) => holds(1, op, 1)),
      [true, false, true, false, true, false],
    );
  });
});

describe('The metric gate', () => {
  const metrics = { accuracy: 0.93, rmse: 3.1, f1: 0.7 };

  it('passes when every condition holds, and lists each one', () => {
    const g = evaluateGate(metrics, parseConditions('metricConditions', 'accuracy >= 0.9\nrmse < 3.5'), undefined, "the job 'j'");
    assert.strictEqual(g.pass, true);
    assert.deepStrictEqual(g.rows, [
      { metric: 'accuracy', candidate: 0.93, against: '>= 0.9', pass: true },
      { metric: 'rmse', candidate: 3.1, against: '< 3.5', pass: true },
    ]);
  });

  it('says no with one reason per failed condition', () => {
    const g = evaluateGate(metrics, parseConditions('metricConditions', 'accuracy >= 0.95\nrmse < 3.5\nf1 > 0.8'), undefined, 'x');
    assert.strictEqual(g.pass, false);
    assert.deepStrictEqual(g.reasons, ["accuracy = 0.93 does not meet 'accuracy >= 0.95'.", "f1 = 0.7 does not meet 'f1 > 0.8'."]);
  });

  it('names an unknown metric, what was logged and the likely one', () => {
    assert.throws(
      () => evaluateGate(metrics, parseConditions('metricConditions', 'acuracy >= 0.9'), undefined, "the job 'j'"),
      (e: unknown) =>
        e instanceof UserError &&
        e.message === "Input 'metricConditions', line 1: there is no metric 'acuracy' in the job 'j'. Did you mean 'accuracy'? Metrics: accuracy, rmse, f1.",
    );
  });

  it('says when the source logged no metrics at all', () => {
    assert.throws(() => evaluateGate({}, parseConditions('metricConditions', 'auc > 0.5'), undefined, "the job 'j'"), /the job 'j' has no metrics at all/);
  });

  it('passes a candidate that beats the champion by the margin (maximize)', () => {
    const g = evaluateGate(metrics, [], { metric: 'accuracy', goal: 'maximize', margin: 0.02, champion: 'm:3', championValue: 0.9 }, 'x');
    assert.strictEqual(g.pass, true);
    assert.strictEqual(g.rows[0].against, 'champion m:3 = 0.9 (maximize, by at least 0.02)');
  });

  it('refuses a candidate that is better by less than the margin, or equal without one', () => {
    assert.strictEqual(evaluateGate(metrics, [], { metric: 'accuracy', goal: 'maximize', margin: 0.05, champion: 'm:3', championValue: 0.9 }, 'x').pass, false);
    const equal = evaluateGate(metrics, [], { metric: 'accuracy', goal: 'maximize', margin: 0, champion: 'm:3', championValue: 0.93 }, 'x');
    assert.strictEqual(equal.pass, false);
    assert.deepStrictEqual(equal.reasons, ['accuracy = 0.93 does not beat the champion m:3 (0.93): it must be higher.']);
  });

  it('wants a lower value when minimizing', () => {
    assert.strictEqual(evaluateGate(metrics, [], { metric: 'rmse', goal: 'minimize', margin: 0, champion: 'm:1', championValue: 3.4 }, 'x').pass, true);
    assert.strictEqual(evaluateGate(metrics, [], { metric: 'rmse', goal: 'minimize', margin: 0, champion: 'm:1', championValue: 3.0 }, 'x').pass, false);
  });

  it('passes without a champion and says so', () => {
    const g = evaluateGate(metrics, [], { metric: 'accuracy', goal: 'maximize', margin: 0 }, 'x');
    assert.strictEqual(g.pass, true);
    assert.match(g.notes[0], /^No champion to compare with/);
  });

  it('refuses when the champion has no value for the metric, saying how to give it one', () => {
    const g = evaluateGate(metrics, [], { metric: 'accuracy', goal: 'maximize', margin: 0, champion: 'm:2' }, 'x');
    assert.strictEqual(g.pass, false);
    assert.match(g.reasons[0], /^The champion m:2 has no value for 'accuracy'.*Add the property metrics\.accuracy to m:2/);
  });
});

describe('The metrics input', () => {
  it('reads a JSON object of numbers, as AmlTrain writes it', () => {
    assert.deepStrictEqual(parseMetricsJson('metrics', '{"accuracy":0.93,"loss":"0.2"}'), { accuracy: 0.93, loss: 0.2 });
    assert.strictEqual(parseMetricsJson('metrics', '  '), undefined);
  });

  it('refuses text that is not JSON, not an object, or holds something other than numbers', () => {
    assert.throws(() => parseMetricsJson('metrics', '$(train.metrics)'), /Input 'metrics' is not JSON/);
    assert.throws(() => parseMetricsJson('metrics', '[1]'), /must be a JSON object/);
    assert.throws(() => parseMetricsJson('metrics', '{"a": true}'), /the metric 'a' is true, not a number/);
  });
});
