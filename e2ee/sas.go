package e2ee

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// SASSize is the number of bytes of the short authentication string: four
// bytes, 32 bits, each byte one symbol of sasTable.
const SASSize = 4

// SAS is the short authentication string both users compare by voice or on
// screen. It is H(label ‖ th3) truncated to 32 bits, where th3 is the hash of
// the whole transcript: equal transcripts give equal SAS on both sides.
// Each byte indexes sasTable, giving one emoji and the word naming it, so
// the emoji and word forms carry exactly the same value.
type SAS [SASSize]byte

func sasFromTranscript(th *transcript) (s SAS) {
	h := sha256.New()
	h.Write([]byte(labelSAS))
	h.Write(th[:])
	var sum [sha256.Size]byte
	copy(s[:], h.Sum(sum[:0]))
	return s
}

// Equal reports whether s and t are equal, in constant time.
func (s SAS) Equal(t SAS) bool { return subtle.ConstantTimeCompare(s[:], t[:]) == 1 }

// Emoji returns the four emoji, one per byte, in order.
func (s SAS) Emoji() [SASSize]string {
	var out [SASSize]string
	for i, b := range s {
		out[i] = sasTable[b].emoji
	}
	return out
}

// Words returns the four words naming the emoji, for screen readers and
// for reading the SAS aloud over the phone.
func (s SAS) Words() [SASSize]string {
	var out [SASSize]string
	for i, b := range s {
		out[i] = sasTable[b].word
	}
	return out
}

// String renders the emoji followed by the words, e.g.
// "🐶 🍕 🚀 🎸 (dog pizza rocket guitar)". The SAS is not secret.
func (s SAS) String() string {
	e, w := s.Emoji(), s.Words()
	return strings.Join(e[:], " ") + " (" + strings.Join(w[:], " ") + ")"
}

// SASSymbol returns the emoji and word of table index b; it documents the
// fixed table for UIs that draw their own rendering.
func SASSymbol(b byte) (emoji, word string) { return sasTable[b].emoji, sasTable[b].word }

type sasSymbol struct{ emoji, word string }

// sasTable is part of the protocol: never reorder or edit it. 256 distinct
// single-code-point emoji with default emoji presentation (Unicode ≤ 11, so
// old phones render them), each with a distinct lowercase ASCII word.
var sasTable = [256]sasSymbol{
	/* 0x00 */ {"🐶", "dog"}, {"🐱", "cat"}, {"🐭", "mouse"}, {"🐹", "hamster"},
	/* 0x04 */ {"🐰", "rabbit"}, {"🦊", "fox"}, {"🐻", "bear"}, {"🐼", "panda"},
	/* 0x08 */ {"🐨", "koala"}, {"🐯", "tiger"}, {"🦁", "lion"}, {"🐮", "cow"},
	/* 0x0c */ {"🐷", "pig"}, {"🐸", "frog"}, {"🐵", "monkey"}, {"🐔", "chicken"},
	/* 0x10 */ {"🐧", "penguin"}, {"🐦", "bird"}, {"🦆", "duck"}, {"🦅", "eagle"},
	/* 0x14 */ {"🦉", "owl"}, {"🦇", "bat"}, {"🐺", "wolf"}, {"🐗", "boar"},
	/* 0x18 */ {"🐴", "horse"}, {"🦄", "unicorn"}, {"🐝", "bee"}, {"🦋", "butterfly"},
	/* 0x1c */ {"🐌", "snail"}, {"🐞", "ladybug"}, {"🐜", "ant"}, {"🦂", "scorpion"},
	/* 0x20 */ {"🐢", "turtle"}, {"🐍", "snake"}, {"🦎", "lizard"}, {"🐙", "octopus"},
	/* 0x24 */ {"🦑", "squid"}, {"🦐", "shrimp"}, {"🦀", "crab"}, {"🐠", "fish"},
	/* 0x28 */ {"🐬", "dolphin"}, {"🐳", "whale"}, {"🦈", "shark"}, {"🐊", "crocodile"},
	/* 0x2c */ {"🐘", "elephant"}, {"🦏", "rhino"}, {"🐪", "camel"}, {"🦒", "giraffe"},
	/* 0x30 */ {"🦘", "kangaroo"}, {"🐃", "buffalo"}, {"🐑", "sheep"}, {"🐐", "goat"},
	/* 0x34 */ {"🦌", "deer"}, {"🐓", "rooster"}, {"🦃", "turkey"}, {"🦚", "peacock"},
	/* 0x38 */ {"🦜", "parrot"}, {"🦢", "swan"}, {"🦝", "raccoon"}, {"🦡", "badger"},
	/* 0x3c */ {"🦔", "hedgehog"}, {"🐉", "dragon"}, {"🦕", "dinosaur"}, {"🦓", "zebra"},
	/* 0x40 */ {"🦍", "gorilla"}, {"🦙", "llama"}, {"🦛", "hippo"}, {"🌵", "cactus"},
	/* 0x44 */ {"🌲", "pine"}, {"🌳", "tree"}, {"🌴", "palm"}, {"🌱", "sprout"},
	/* 0x48 */ {"🌿", "herb"}, {"🍀", "clover"}, {"🍁", "maple"}, {"🍄", "mushroom"},
	/* 0x4c */ {"🌷", "tulip"}, {"🌹", "rose"}, {"🌻", "sunflower"}, {"🌼", "daisy"},
	/* 0x50 */ {"🌾", "wheat"}, {"🌙", "moon"}, {"⭐", "star"}, {"🌞", "sun"},
	/* 0x54 */ {"⚡", "lightning"}, {"🔥", "fire"}, {"🌈", "rainbow"}, {"⛄", "snowman"},
	/* 0x58 */ {"💧", "droplet"}, {"🌊", "wave"}, {"🌋", "volcano"}, {"🌍", "globe"},
	/* 0x5c */ {"☔", "umbrella"}, {"🗻", "mountain"}, {"🍎", "apple"}, {"🍐", "pear"},
	/* 0x60 */ {"🍊", "orange"}, {"🍋", "lemon"}, {"🍌", "banana"}, {"🍉", "watermelon"},
	/* 0x64 */ {"🍇", "grapes"}, {"🍓", "strawberry"}, {"🍒", "cherry"}, {"🍑", "peach"},
	/* 0x68 */ {"🍍", "pineapple"}, {"🥝", "kiwi"}, {"🥥", "coconut"}, {"🥑", "avocado"},
	/* 0x6c */ {"🍆", "eggplant"}, {"🥕", "carrot"}, {"🌽", "corn"}, {"🥦", "broccoli"},
	/* 0x70 */ {"🥔", "potato"}, {"🥜", "peanut"}, {"🍞", "bread"}, {"🥐", "croissant"},
	/* 0x74 */ {"🥨", "pretzel"}, {"🧀", "cheese"}, {"🥚", "egg"}, {"🥞", "pancakes"},
	/* 0x78 */ {"🥓", "bacon"}, {"🍔", "burger"}, {"🍟", "fries"}, {"🍕", "pizza"},
	/* 0x7c */ {"🌭", "hotdog"}, {"🌮", "taco"}, {"🍿", "popcorn"}, {"🍩", "donut"},
	/* 0x80 */ {"🍪", "cookie"}, {"🎂", "cake"}, {"🥧", "pie"}, {"🍫", "chocolate"},
	/* 0x84 */ {"🍬", "candy"}, {"🍭", "lollipop"}, {"🍯", "honey"}, {"🍦", "icecream"},
	/* 0x88 */ {"🍣", "sushi"}, {"🍜", "noodles"}, {"☕", "coffee"}, {"🍵", "tea"},
	/* 0x8c */ {"🥛", "milk"}, {"🍺", "beer"}, {"🍷", "wine"}, {"🥤", "soda"},
	/* 0x90 */ {"🥄", "spoon"}, {"🍴", "fork"}, {"🧂", "salt"}, {"⚽", "soccer"},
	/* 0x94 */ {"🏀", "basketball"}, {"⚾", "baseball"}, {"🎾", "tennis"}, {"🥊", "boxing"},
	/* 0x98 */ {"🎯", "bullseye"}, {"🎳", "bowling"}, {"🎮", "gamepad"}, {"🎲", "dice"},
	/* 0x9c */ {"🧩", "puzzle"}, {"🎨", "palette"}, {"🎭", "theater"}, {"🎤", "microphone"},
	/* 0xa0 */ {"🎧", "headphones"}, {"🎷", "saxophone"}, {"🎸", "guitar"}, {"🎹", "piano"},
	/* 0xa4 */ {"🎺", "trumpet"}, {"🎻", "violin"}, {"🥁", "drum"}, {"🔔", "bell"},
	/* 0xa8 */ {"📷", "camera"}, {"📺", "television"}, {"📻", "radio"}, {"💡", "lightbulb"},
	/* 0xac */ {"🔦", "flashlight"}, {"📚", "books"}, {"🔑", "key"}, {"🔒", "padlock"},
	/* 0xb0 */ {"🔨", "hammer"}, {"🔧", "wrench"}, {"🔩", "bolt"}, {"🧲", "magnet"},
	/* 0xb4 */ {"🔭", "telescope"}, {"💊", "pill"}, {"🧸", "teddy"}, {"🎈", "balloon"},
	/* 0xb8 */ {"🎁", "gift"}, {"🎀", "ribbon"}, {"🎉", "confetti"}, {"🏆", "trophy"},
	/* 0xbc */ {"🥇", "medal"}, {"👑", "crown"}, {"💎", "diamond"}, {"💍", "ring"},
	/* 0xc0 */ {"👓", "glasses"}, {"🧢", "cap"}, {"👢", "boot"}, {"🧣", "scarf"},
	/* 0xc4 */ {"👕", "shirt"}, {"👖", "jeans"}, {"👗", "dress"}, {"🎒", "backpack"},
	/* 0xc8 */ {"⌚", "watch"}, {"⏰", "alarm"}, {"⌛", "hourglass"}, {"📱", "phone"},
	/* 0xcc */ {"💻", "laptop"}, {"🔋", "battery"}, {"🧭", "compass"}, {"🧱", "brick"},
	/* 0xd0 */ {"🛁", "bathtub"}, {"🚪", "door"}, {"🧹", "broom"}, {"🧺", "basket"},
	/* 0xd4 */ {"🧼", "soap"}, {"🧽", "sponge"}, {"🔮", "crystal"}, {"🛹", "skateboard"},
	/* 0xd8 */ {"⚓", "anchor"}, {"🎣", "fishing"}, {"🏹", "archery"}, {"🚗", "car"},
	/* 0xdc */ {"🚕", "taxi"}, {"🚌", "bus"}, {"🚑", "ambulance"}, {"🚜", "tractor"},
	/* 0xe0 */ {"🚲", "bicycle"}, {"🛵", "scooter"}, {"🚂", "train"}, {"🚁", "helicopter"},
	/* 0xe4 */ {"🚀", "rocket"}, {"🛸", "ufo"}, {"⛵", "sailboat"}, {"🛶", "canoe"},
	/* 0xe8 */ {"🚢", "ship"}, {"🏠", "house"}, {"🏰", "castle"}, {"⛺", "tent"},
	/* 0xec */ {"🏭", "factory"}, {"🗼", "tower"}, {"⛲", "fountain"}, {"🌉", "bridge"},
	/* 0xf0 */ {"💛", "heart"}, {"🎵", "music"}, {"💰", "money"}, {"📦", "package"},
	/* 0xf4 */ {"📬", "mailbox"}, {"🏁", "flag"}, {"💤", "sleep"}, {"👻", "ghost"},
	/* 0xf8 */ {"👽", "alien"}, {"🤖", "robot"}, {"💀", "skull"}, {"🎃", "pumpkin"},
	/* 0xfc */ {"👀", "eyes"}, {"🦷", "tooth"}, {"🧠", "brain"}, {"🦴", "bone"},
}
