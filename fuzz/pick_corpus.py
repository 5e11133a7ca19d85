#!/usr/bin/env python3
"""Chooses the few inputs of a grown corpus worth committing.

    python3 fuzz/pick_corpus.py TARGET GROWN_DIR [MAX_FILES]

GROWN_DIR is what a run left (best after `cargo fuzz cmin TARGET GROWN_DIR`).
The hand-made seeds of fuzz/corpus/TARGET (the files not named cmin-*) are
kept; the old cmin-* files are replaced by a greedy set cover: libFuzzer's
`-set_cover_merge=1 -use_counters=0` writes, per input, the edges it reaches
(its FT lines); the input adding the most edges not yet reached is taken, then
the next, until MAX_FILES files (40 by default) or nothing more is added.

The first input libFuzzer runs also gets the one-time start-up coverage (lazy
statics such as the log catalogue's automata): that counts as reached by
every input, so it does not make that input look valuable.

Needs `cargo +nightly fuzz build` first; run from anywhere.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    target, grown = sys.argv[1], os.path.abspath(sys.argv[2])
    max_files = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    corpus = os.path.join(HERE, 'corpus', target)
    binary = os.path.join(HERE, 'target', 'x86_64-unknown-linux-gnu', 'release', target)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = os.path.join(tmp, 'seeds')
        os.makedirs(seeds)
        for name in os.listdir(corpus):
            if not name.startswith('cmin-'):
                shutil.copy(os.path.join(corpus, name), seeds)
        control = os.path.join(tmp, 'control')
        out = os.path.join(tmp, 'out')
        os.makedirs(out)
        env = dict(os.environ, ASAN_OPTIONS='quarantine_size_mb=64')
        subprocess.run(
            [binary, '-set_cover_merge=1', '-use_counters=0',
             '-merge_control_file=' + control, out, seeds, grown],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        files, features, first = read_control(control)
        seed_idx = [i for i, f in enumerate(files) if f.startswith(seeds + os.sep)]
        reached = set().union(*(features.get(i, set()) for i in seed_idx))
        if first is not None and first not in seed_idx:
            reached |= features.get(first, set())
        total = set().union(*features.values())
        print(f'hand seeds: {len(seed_idx)} files, {len(reached)} of {len(total)} edges')
        candidates = [i for i in features if i not in seed_idx]
        chosen = []
        while len(seed_idx) + len(chosen) < max_files and candidates:
            best = max(candidates,
                       key=lambda i: (len(features[i] - reached), -os.path.getsize(files[i])))
            gain = len(features[best] - reached)
            if gain == 0:
                break
            chosen.append(best)
            candidates.remove(best)
            reached |= features[best]
            print(f'  +{gain:5d} edges {os.path.getsize(files[best]):7d} B  {files[best]}')
        print(f'kept {len(chosen)} more: {len(reached)} of {len(total)} edges')
        for name in os.listdir(corpus):
            if name.startswith('cmin-'):
                os.remove(os.path.join(corpus, name))
        for i in chosen:
            shutil.copy(files[i], os.path.join(corpus, 'cmin-' + os.path.basename(files[i])[:16]))


def read_control(path):
    """The files, each file's features (FT), and the first file run."""
    lines = open(path).read().split('\n')
    n = int(lines[0])
    files = lines[2:2 + n]
    features, first = {}, None
    for line in lines[2 + n:]:
        words = line.split()
        if not words:
            continue
        if words[0] == 'STARTED' and first is None:
            first = int(words[1])
        elif words[0] == 'FT':
            features[int(words[1])] = set(map(int, words[2:]))
    return files, features, first


if __name__ == '__main__':
    main()
