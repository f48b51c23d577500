package hashchain_test

import (
	"fmt"

	"github.com/patchbay/patchbay/hashchain"
)

func ExampleRootHash() {
	h, canonical, err := hashchain.RootHash([]byte(`{"platform":"twitch","channel":"#tikatoo"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(h)
	fmt.Println(string(canonical))
	// Output:
	// 2c0a2c2e2fd91d3a
	// {"channel":"#tikatoo","platform":"twitch"}
}

func ExampleApply() {
	doc := []byte(`{"platform":"twitch","channel":"#tikatoo"}`)
	patch := []byte(`[{"op":"add","path":"/prefix","value":"!"},{"op":"test","path":"/platform","value":"twitch"}]`)
	out, err := hashchain.Apply(doc, patch, hashchain.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	_, err = hashchain.Apply(out, []byte(`[{"op":"test","path":"/prefix","value":"?"}]`), hashchain.Limits{})
	fmt.Println(hashchain.Code(err))
	// Output:
	// {"channel":"#tikatoo","platform":"twitch","prefix":"!"}
	// test_failed
}

func ExampleDecodeSubmission() {
	root, _ := hashchain.ParseHash("2c0a2c2e2fd91d3a")
	env, err := hashchain.DecodeSubmission([]byte(`[{"op":"add","path":"/prefix","value":"!"}]`), root)
	if err != nil {
		panic(err)
	}
	h, _ := env.Hash()
	fmt.Println(h)
	// Output:
	// efcab768cf25cea4
}

func ExampleVerify() {
	root := []byte(`{"platform":"twitch","channel":"#tikatoo"}`)
	rootHash, _, _ := hashchain.RootHash(root)
	e := hashchain.Envelope{Parent: rootHash, Patch: []byte(`[{"op":"add","path":"/prefix","value":"!"}]`)}
	head, config, err := hashchain.Verify(root, []hashchain.Envelope{e}, hashchain.Limits{})
	fmt.Println(head, string(config), err)
	// Output:
	// efcab768cf25cea4 {"channel":"#tikatoo","platform":"twitch","prefix":"!"} <nil>
}

func ExampleDiff() {
	patch, _ := hashchain.Diff([]byte(`{"a":1,"b":{"c":2}}`), []byte(`{"b":{"c":3},"d":[]}`))
	fmt.Println(string(patch))
	// Output:
	// [{"op":"remove","path":"/a"},{"op":"replace","path":"/b/c","value":3},{"op":"add","path":"/d","value":[]}]
}
