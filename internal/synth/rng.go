package synth

import "math"

// rng is SplitMix64. It is tiny, fast and fully specified here, so the
// synthetic league stays byte-identical whatever Go release builds the
// generator (math/rand's generators are stable too, but their seeding and
// helpers are not ours to pin). A value type: seeding one per shot costs
// nothing and allocates nothing.
type rng struct{ s uint64 }

func newRNG(seed uint64) rng { return rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// mix64 is SplitMix64's finaliser: a bijective, well-mixing hash of a word.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hash combines words into one well-mixed word. Every stream of the
// universe is keyed by such a hash of (salt, game, event), so any shot can be
// rebuilt on its own without replaying the shots before it.
func hash(words ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, w := range words {
		h = mix64(h ^ mix64(w+0x9e3779b97f4a7c15))
	}
	return h
}

// float returns a uniform float in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// intn returns a uniform int in [0, n), n > 0 (Lemire's multiply-shift; the
// bias for n far below 2³² is far below anything a test could see).
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// between returns a uniform float in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// norm returns a standard normal deviate (Box-Muller, one of the pair).
func (r *rng) norm() float64 {
	u := 1 - r.float() // (0, 1]
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

// pick returns an index drawn from cumulative weights cum (last = total).
func (r *rng) pick(cum []float64) int {
	x := r.float() * cum[len(cum)-1]
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

// cumulate turns weights into cumulative weights, in place.
func cumulate(w []float64) []float64 {
	s := 0.0
	for i, v := range w {
		s += v
		w[i] = s
	}
	return w
}
