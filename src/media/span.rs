//! How long a stream lasts by the times of its packets or blocks, where its container states
//! no length of its own (a program stream, a Matroska file written live): the span from its
//! earliest time to its latest, plus one picture (or frame). A picture's length is the
//! commonest step between consecutive times in order of presentation: pictures coded out of
//! order come back into it within a small window, and a muxer that puts several pictures in
//! one packet steps by the packet, as its times do.

/// The latest times kept in order of presentation.
const WINDOW: usize = 32;
/// At most this many different steps are counted (the rest are let go).
const MAX_STEPS: usize = 64;

#[derive(Debug, Default, Clone)]
pub struct Span {
    /// Times seen.
    pub count: u64,
    min: i64,
    max: i64,
    /// The latest times, in order of presentation, at most [`WINDOW`].
    window: Vec<i64>,
    /// The steps from one time to the next in order of presentation, and how often each was
    /// seen (at most [`MAX_STEPS`] kinds).
    steps: Vec<(i64, u64)>,
}

/// Counts one more `step` in `steps`, at most `kinds` kinds of them; steps of no time are not
/// counted.
pub fn count_step(steps: &mut Vec<(i64, u64)>, step: i64, kinds: usize) {
    if step <= 0 {
        return;
    }
    match steps.iter().position(|(d, _)| *d == step) {
        Some(k) => steps[k].1 += 1,
        None if steps.len() < kinds => steps.push((step, 1)),
        None => {}
    }
}

/// The commonest of counted steps (the shortest of the commonest).
pub fn commonest(steps: &[(i64, u64)]) -> Option<i64> {
    steps
        .iter()
        .max_by_key(|&&(d, n)| (n, std::cmp::Reverse(d)))
        .map(|&(d, _)| d)
}

impl Span {
    /// One more time `t` (any unit, the same for all).
    pub fn add(&mut self, t: i64) {
        if self.count == 0 {
            (self.min, self.max) = (t, t);
        }
        let at = self.window.partition_point(|&w| w < t);
        self.window.insert(at, t);
        if self.window.len() > WINDOW {
            let first = self.window.remove(0);
            count_step(&mut self.steps, self.window[0] - first, MAX_STEPS);
        }
        self.min = self.min.min(t);
        self.max = self.max.max(t);
        self.count += 1;
    }

    /// The earliest and latest times seen.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        (self.count > 0).then_some((self.min, self.max))
    }

    /// The commonest step (the shortest of the commonest), if two times were seen apart.
    pub fn step(&self) -> Option<i64> {
        let mut steps = self.steps.clone();
        for w in self.window.windows(2) {
            count_step(&mut steps, w[1] - w[0], MAX_STEPS);
        }
        commonest(&steps)
    }

    /// The span of the times plus the commonest step: how long the stream lasts.
    pub fn length(&self) -> Option<i64> {
        Some(
            self.max
                .saturating_sub(self.min)
                .saturating_add(self.step()?),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streams_length_is_its_span_and_one_picture_whatever_the_order() {
        let mut s = Span::default();
        assert_eq!((s.length(), s.bounds()), (None, None));
        // Pictures of 40 ticks from 1000, decoded in the order I P B B (presented 0 3 1 2).
        for k in [0, 3, 1, 2, 6, 4, 5, 9, 7, 8] {
            s.add(1000 + 40 * k);
        }
        assert_eq!(s.step(), Some(40));
        assert_eq!(s.bounds(), Some((1000, 1360)));
        assert_eq!(s.length(), Some(400));
        // One time alone has no step.
        let mut one = Span::default();
        one.add(5);
        assert_eq!(one.length(), None);
    }
}
