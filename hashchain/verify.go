package hashchain

// Verify replays a chain: it hashes the root configuration, then for each
// envelope in order checks that its Parent is the hash of the previous link
// (the root hash for the first), applies its patch within lim and computes
// its hash. It returns the head hash (the root hash for an empty chain) and
// the canonical configuration at the head.
//
// The first bad link is reported as a *ChainError: a parent mismatch has
// Expected and Got set and wraps ErrUnknownParent; a patch that fails wraps
// the Apply error; an invalid root has Index -1.
func Verify(root []byte, envs []Envelope, lim Limits) (head Hash, config []byte, err error) {
	lim = lim.WithDefaults()
	head, config, err = RootHash(root)
	if err != nil {
		return 0, nil, &ChainError{Index: -1, Err: err}
	}
	for i, e := range envs {
		if e.Parent != head {
			return 0, nil, &ChainError{Index: i, Expected: head, Got: e.Parent, Err: ErrUnknownParent}
		}
		h, err := e.Hash()
		if err != nil {
			return 0, nil, &ChainError{Index: i, Expected: head, Got: e.Parent, Err: err}
		}
		if config, err = Apply(config, e.Patch, lim); err != nil {
			return 0, nil, &ChainError{Index: i, Expected: head, Got: e.Parent, Err: err}
		}
		head = h
	}
	return head, config, nil
}
