# The tables of bench/run, in Markdown, from its result lines:
#   percall NAME OP THREADS NS      one harness measurement
#   e2e NAME TEST VALUE             one end-to-end run (IOPS or MiB/s)
#   allocs OP requests|mallocs N    the allocation count of one kind
# Medians are taken over the rounds and runs.  Portable awk (no gawk).

function median(list,    n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++)            # insertion sort, n is small
        for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
            t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
        }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

function verdict(ok) {
    return ok ? "met" : "**missed**"
}

$1 == "percall" { percall[$2 " " $3 " " $4] = percall[$2 " " $3 " " $4] " " $5 }
$1 == "e2e"     { e2e[$2 " " $3] = e2e[$2 " " $3] " " $4 }
$1 == "allocs"  { allocs[$2 " " $3] = $4 }

END {
    split("c floor go example", names, " ")
    label["c"] = "C reference (bench/c-ramdisk)"
    label["floor"] = "Go, bare cgo export: the floor (bench/go-floor)"
    label["go"] = "Go on the binding, flat buffer (bench/go-ramdisk)"
    label["example"] = "Go on the binding, examples/ramdisk (sparse, locked)"
    split("pread 1,pread 2,pwrite 1,pwrite 2", columns, ",")

    print ""
    print "Per call, no server (bench/harness, 512-byte requests): ns per call, median"
    print ""
    print "| plugin | pread 1 thread | pread 2 threads | pwrite 1 thread | pwrite 2 threads |"
    print "|---|--:|--:|--:|--:|"
    for (i = 1; i <= 4; i++) {
        line = "| " label[names[i]]
        for (c = 1; c <= 4; c++) {
            m[names[i], c] = median(percall[names[i] " " columns[c]])
            line = line sprintf(" | %.1f", m[names[i], c])
        }
        print line " |"
    }
    for (k = 3; k <= 4; k++) {
        line = "| **" (k == 3 ? "binding" : "examples/ramdisk") " − floor** (" names[k] " − floor)"
        for (c = 1; c <= 4; c++)
            line = line sprintf(" | **%.1f**", m[names[k], c] - m["floor", c])
        print line " |"
    }
    print ""
    d1 = m["go", 1] - m["floor", 1]; d2 = m["go", 2] - m["floor", 2]
    printf "Target: binding − floor ≤ 50 ns per pread: 1 thread %.1f ns, 2 threads %.1f ns: %s\n",
        d1, d2, verdict(d1 <= 50 && d2 <= 50)

    print ""
    print "End to end through nbdkit (fio ioengine=nbd, 4 KiB; nbdcopy --no-extents of 1 GiB to null:), runs alternated"
    print ""
    print "| test | C runs | Go runs | example runs | C median | Go median | Go/C | example/C | target |"
    print "|---|---|---|---|--:|--:|--:|--:|---|"
    split("randread:1 randread:16 randwrite:1 randwrite:16 nbdcopy", tests, " ")
    title["randread:1"] = "randread QD1 (IOPS)"
    title["randread:16"] = "randread QD16 (IOPS)"
    title["randwrite:1"] = "randwrite QD1 (IOPS)"
    title["randwrite:16"] = "randwrite QD16 (IOPS)"
    title["nbdcopy"] = "nbdcopy 1 GiB (MiB/s)"
    goal["randread:16"] = 0.95; goal["randwrite:16"] = 0.95; goal["nbdcopy"] = 0.98
    for (t = 1; t <= 5; t++) {
        test = tests[t]
        if (e2e["c " test] == "")
            continue
        cm = median(e2e["c " test]); gm = median(e2e["go " test])
        em = median(e2e["example " test])
        target = "—"
        if (test in goal)
            target = sprintf("≥ %d %%: %s", goal[test] * 100, verdict(gm / cm >= goal[test]))
        printf "| %s |%s |%s |%s | %.0f | %.0f | %.1f %% | %.1f %% | %s |\n",
            title[test], e2e["c " test], e2e["go " test], e2e["example " test],
            cm, gm, 100 * gm / cm, 100 * em / cm, target
    }

    print ""
    print "Heap allocations per request (bench/go-ramdisk allocs=, runtime.MemStats.Mallocs, requests through nbdkit)"
    print ""
    print "| request | requests | mallocs | allocs/request |"
    print "|---|--:|--:|--:|"
    split("pread pwrite flush zero trim extents", ops, " ")
    total = 0
    for (o = 1; o <= 6; o++) {
        if (!((ops[o] " requests") in allocs))
            continue
        n = allocs[ops[o] " requests"]; a = allocs[ops[o] " mallocs"]
        total += a
        printf "| %s | %d | %d | %.5f |\n", ops[o], n, a, a / n
    }
    print ""
    printf "Target: 0 allocations per request: %s\n", verdict(total == 0)
}
