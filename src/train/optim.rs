//! Optimisers: SGD with momentum and Adam, over the flat parameter vector (weights then biases).

/// How parameters follow the gradient: `theta -= learning_rate * step(grad)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// Plain SGD with heavy-ball momentum (`momentum = 0` for none).
    Sgd {
        /// Momentum coefficient in [0, 1).
        momentum: f64,
    },
    /// Adam (Kingma and Ba) with bias correction.
    Adam {
        /// Decay of the first moment.
        beta1: f64,
        /// Decay of the second moment.
        beta2: f64,
        /// Added to the root of the second moment.
        epsilon: f64,
    },
}

impl Optimizer {
    /// Adam with the usual constants (0.9, 0.999, 1e-8).
    pub fn adam() -> Self {
        Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// An optimiser's running state for a parameter vector.
pub(crate) struct OptimizerState {
    kind: Optimizer,
    first: Vec<f64>,
    second: Vec<f64>,
    steps: i32,
}

impl OptimizerState {
    pub(crate) fn new(kind: Optimizer, len: usize) -> Self {
        OptimizerState {
            kind,
            first: vec![0.0; len],
            second: vec![0.0; len],
            steps: 0,
        }
    }

    /// The first and second moments, for a checkpoint.
    pub(crate) fn moments(&self) -> (&[f64], &[f64]) {
        (&self.first, &self.second)
    }

    /// Takes moments [`OptimizerState::moments`] gave (of as many parameters) after `steps` steps.
    pub(crate) fn restore(&mut self, first: Vec<f64>, second: Vec<f64>, steps: i32) {
        (self.first, self.second, self.steps) = (first, second, steps);
    }

    /// Moves `params` against `grad` with learning rate `lr`.
    pub(crate) fn step(&mut self, params: &mut [f64], grad: &[f64], lr: f64) {
        self.steps += 1;
        match self.kind {
            Optimizer::Sgd { momentum } => {
                for ((p, &g), v) in params.iter_mut().zip(grad).zip(&mut self.first) {
                    *v = momentum * *v + g;
                    *p -= lr * *v;
                }
            }
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            } => {
                let c1 = 1.0 - beta1.powi(self.steps);
                let c2 = 1.0 - beta2.powi(self.steps);
                for (((p, &g), m), v) in params
                    .iter_mut()
                    .zip(grad)
                    .zip(&mut self.first)
                    .zip(&mut self.second)
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    *p -= lr * (*m / c1) / ((*v / c2).sqrt() + epsilon);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_optimisers_minimise_a_quadratic() {
        for kind in [Optimizer::Sgd { momentum: 0.5 }, Optimizer::adam()] {
            let mut state = OptimizerState::new(kind, 2);
            let mut x = [3.0, -2.0];
            for _ in 0..2000 {
                let grad = [2.0 * (x[0] - 1.0), 4.0 * (x[1] + 0.5)];
                state.step(&mut x, &grad, 0.01);
            }
            assert!(
                (x[0] - 1.0).abs() < 1e-3 && (x[1] + 0.5).abs() < 1e-3,
                "{kind:?}: {x:?}"
            );
        }
        // The first SGD step without momentum is exactly -lr * grad.
        let mut state = OptimizerState::new(Optimizer::Sgd { momentum: 0.0 }, 1);
        let mut x = [1.0];
        state.step(&mut x, &[2.0], 0.1);
        assert!((x[0] - 0.8).abs() < 1e-15);
    }
}
