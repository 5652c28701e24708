package emodel

// OpusTableVersion labels the values of OpusTable. Bump it whenever a value changes, so that
// logged estimates can be traced to the table that produced them.
const OpusTableVersion = "alahmadi2021-v1"

// OpusTable returns Parley's default Opus impairment table (version OpusTableVersion): Ie and
// Bpl (random and bursty loss) of Opus 1.3 speech by band, rate control and bitrate, measured by
// Alahmadi, Pocta and Melvin, "An adaptive bitrate switching algorithm for speech applications
// in context of WebRTC", ACM TOMM 17(4), article 133, 2021 (doi:10.1145/3458751), at the full
// precision published in the Opus_emodel.js that accompanies the paper (see the notice below).
//
// Coverage: SWB VBR 14–40 kb/s, SWB CBR 16–40, WB VBR 11–13, WB CBR 12–15, NB VBR 6–9, NB CBR
// 6–11. Narrowband values are on the G.107 scale, wideband and super-wideband values on the
// G.107.1 scale. They do not include in-band FEC gains: model FEC as a reduction of the loss
// (PostBufferLoss). There is no official ITU-T Ie,WB for Opus.
//
// The returned table is shared and immutable.
func OpusTable() *Table { return opusTable }

// opusTable is built once at init and never modified.
var opusTable = mustTable(OpusTableVersion, opusEntries())

// mustTable is NewTable for the package's own constant tables, whose validity the tests check.
func mustTable(version string, entries []Entry) *Table {
	t, err := NewTable(version, entries)
	if err != nil {
		panic(err) // unreachable: the built-in table is valid (TestOpusTableValid)
	}
	return t
}

// opusEntries lists the values of Opus_emodel.js; its MIT notice is at the top of the body.
func opusEntries() []Entry {
	// MIT License
	//
	// Copyright (c) 2021 Mohannad Alahmadi
	//
	// Permission is hereby granted, free of charge, to any person obtaining a copy of this software
	// and associated documentation files (the "Software"), to deal in the Software without
	// restriction, including without limitation the rights to use, copy, modify, merge, publish,
	// distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
	// Software is furnished to do so, subject to the following conditions:
	//
	// The above copyright notice and this permission notice shall be included in all copies or
	// substantial portions of the Software.
	//
	// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
	// BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
	// NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
	// DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
	// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
	type row struct {
		kbps                    int
		ie, bplRandom, bplBurst float64
	}
	var es []Entry
	add := func(b Band, rc RateControl, rows ...row) {
		for _, r := range rows {
			es = append(es, Entry{Band: b, RateControl: rc, BitrateBps: 1000 * r.kbps, Ie: r.ie,
				BplRandom: r.bplRandom, BplBursty: r.bplBurst})
		}
	}
	add(SuperWideband, VBR,
		row{14, 38.06, 16.51, 9.13},
		row{15, 34.12, 15, 7.9},
		row{16, 30.16302131, 11.83, 10.06},
		row{19, 23.80720462, 10.67, 8.92},
		row{22, 20.22332357, 10.47, 8.57},
		row{25, 20.20905481, 11.28, 9.18},
		row{28, 18.47734739, 10.63, 8.91},
		row{31, 16.82867498, 10.44, 8.82},
		row{34, 14.75893036, 10.12, 8.54},
		row{37, 12.07782849, 10.38, 8.30},
		row{40, 10.66596559, 9.79, 8.04},
	)
	add(SuperWideband, CBR,
		row{16, 36.88067115, 13.30, 10.80},
		row{19, 29.58016175, 10.74, 8.93},
		row{22, 23.38003477, 10.01, 8.46},
		row{25, 22.64371205, 10.57, 8.74},
		row{28, 23.65242842, 11.67, 9.98},
		row{31, 21.74245539, 11.51, 9.58},
		row{34, 20.62029481, 11.78, 9.69},
		row{37, 16.22868955, 10.62, 8.99},
		row{40, 15.89845959, 11.35, 9.37},
	)
	add(Wideband, VBR,
		row{11, 28.41322299, 23.93979569, 20.11987374},
		row{12, 23.29505705, 22.2151863, 18.90376092},
		row{13, 19.958882, 19.49608704, 16.91955649},
	)
	add(Wideband, CBR,
		row{12, 29.76435108, 24.80947978, 20.77703993},
		row{13, 26.16108167, 23.0047189, 19.372252},
		row{14, 20.77194577, 17.5623101, 15.84824707},
		row{15, 18.06274989, 18.73740804, 16.09740659},
	)
	add(Narrowband, VBR,
		row{6, 23.00233478, 24.5644848, 15.35503534},
		row{7, 21.25545861, 22.45885046, 14.42549516},
		row{8, 16.02443357, 20.25866692, 13.47963008},
		row{9, 11.73674352, 18.90829837, 12.44222463},
	)
	add(Narrowband, CBR,
		row{6, 46.26834316, 8.939710714, 5.655040056},
		row{7, 31.73480382, 18.17914283, 11.76446295},
		row{8, 19.24547807, 15.12823436, 10.1315844},
		row{9, 13.20879771, 17.23921027, 11.36427122},
		row{10, 6.197366255, 15.32972957, 10.47043983},
		row{11, 2.030115291, 15.95164784, 10.73313709},
	)
	return es
}
