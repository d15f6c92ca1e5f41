# The tables of bench/run, in Markdown, from its result lines:
#   percall NAME OP THREADS WALL_NS CPU_NS   one harness measurement
#   e2e NAME TEST VALUE CPU_MS      one end-to-end run: IOPS or MiB/s,
#                                   and the server's CPU time
# and -v seconds=N, the length of a fio run.
#   allocs OP requests|mallocs N    the allocation count of one kind
#   filtercall NAME OP THREADS WALL_NS CPU_NS   one harness measurement
#                                   of a filter stack (NAME c, filter,
#                                   ffloor, floor)
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

{ have[$1] = 1 }
$1 == "percall" {
    cpu[$2 " " $3 " " $4] = cpu[$2 " " $3 " " $4] " " $6
    wall[$2 " " $3 " " $4] = wall[$2 " " $3 " " $4] " " $5
}
$1 == "e2e" {
    e2e[$2 " " $3] = e2e[$2 " " $3] " " $4
    # Server CPU per request in µs; for nbdcopy, per GiB in ms.
    e2ecpu[$2 " " $3] = e2ecpu[$2 " " $3] " " ($3 == "nbdcopy" ? $5 : 1000 * $5 / ($4 * seconds))
}
$1 == "allocs"  { allocs[$2 " " $3] = $4 }
$1 == "filtercall" {
    fcpu[$2 " " $3 " " $4] = fcpu[$2 " " $3 " " $4] " " $6
    fwall[$2 " " $3 " " $4] = fwall[$2 " " $3 " " $4] " " $5
}

# median_rows(VALUES, KEYS, LABELS, OUT): a row for each of the four
# KEYS, labelled, with the medians of its four columns, kept in OUT.
function median_rows(values, keys, labels, out,    i, c, line) {
    for (i = 1; i <= 4; i++) {
        line = "| " labels[keys[i]]
        for (c = 1; c <= 4; c++) {
            out[keys[i], c] = median(values[keys[i] " " columns[c]])
            line = line sprintf(" | %.1f", out[keys[i], c])
        }
        print line " |"
    }
}

# percall_table(TITLE, VALUES): the per-call table, medians in m.
function percall_table(title, values,    i, c, k, line) {
    print ""
    print title
    print ""
    print "| plugin | pread 1 thread | pread 2 threads | pwrite 1 thread | pwrite 2 threads |"
    print "|---|--:|--:|--:|--:|"
    median_rows(values, names, label, m)
    for (k = 3; k <= 4; k++) {
        line = "| **" (k == 3 ? "binding" : "examples/ramdisk") " − floor** (" names[k] " − floor)"
        for (c = 1; c <= 4; c++)
            line = line sprintf(" | **%.1f**", m[names[k], c] - m["floor", c])
        print line " |"
    }
}

function percall_target(what,    d1, d2) {
    d1 = m["go", 1] - m["floor", 1]; d2 = m["go", 2] - m["floor", 2]
    print ""
    printf "Target (newest Go): binding − floor ≤ 50 ns per pread (%s): 1 thread %.1f ns, 2 threads %.1f ns: %s\n",
        what, d1, d2, verdict(d1 <= 50 && d2 <= 50)
}

END {
    split("c floor go example", names, " ")
    label["c"] = "C reference (bench/c-ramdisk)"
    label["floor"] = "Go, bare cgo export: the floor (bench/go-floor)"
    label["go"] = "Go on the binding, flat buffer (bench/go-ramdisk)"
    label["example"] = "Go on the binding, examples/ramdisk (sparse, locked)"
    split("pread 1,pread 2,pwrite 1,pwrite 2", columns, ",")

    if (have["percall"]) {
        percall_table("Per call, no server (bench/harness, 512-byte requests): ns of CPU time per call and thread (CLOCK_THREAD_CPUTIME_ID), median", cpu)
        percall_target("CPU time")
        percall_table("The same in elapsed time (also counts time the threads were not running, as when other processes load the machine): ns per call and thread, median", wall)
        percall_target("elapsed time")
    }

    if (have["filtercall"]) {
        filtercall_table("Filters per call, no server (bench/harness as nbdkit's backend, 512-byte requests): ns of CPU time per call and thread (CLOCK_THREAD_CPUTIME_ID), median", fcpu)
        filtercall_target()
        filtercall_table("The same in elapsed time: ns per call and thread, median", fwall)
    }
    if (have["e2e"])
        e2e_table()
    if (have["allocs"])
        allocs_table()
}

# medians(VALUES, TEST): the medians of C, floor and Go, in cm, fm, gm.
function medians(values, test) {
    cm = median(values["c " test])
    fm = median(values["floor " test])
    gm = median(values["go " test])
}

function e2e_table(    tests, title, goal, t, test, target, name) {
    print ""
    print "End to end through nbdkit (fio ioengine=nbd 4 KiB, " seconds " s a run; nbdcopy --no-extents of 1 GiB to null:), the plugins' runs alternated: IOPS or MiB/s, and the ratio of the medians"
    print ""
    print "| test | C runs | floor runs | Go runs | C | floor/C | Go/C | Go/floor | target for Go/C (newest Go) |"
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
        medians(e2e, test)
        target = "—"
        if (test in goal)
            target = sprintf("≥ %d %%: %s", goal[test] * 100, verdict(gm / cm >= goal[test]))
        printf "| %s |%s |%s |%s | %.0f | %.1f %% | %.1f %% | %.1f %% | %s |\n",
            title[test], e2e["c " test], e2e["floor " test], e2e["go " test],
            cm, 100 * fm / cm, 100 * gm / cm, 100 * gm / fm, target
    }
    print ""
    print "The server's CPU time for the same runs (µs per request; for nbdcopy, ms per GiB), median: what each request costs the machine, whatever else runs on it"
    print ""
    print "| test | C | floor | Go | floor/C | Go/C | Go − floor |"
    print "|---|--:|--:|--:|--:|--:|--:|"
    for (t = 1; t <= 5; t++) {
        test = tests[t]
        if (e2ecpu["c " test] == "")
            continue
        medians(e2ecpu, test)
        name = title[test]
        sub(/ \(.*/, "", name)
        printf "| %s | %.1f | %.1f | %.1f | %.1f %% | %.1f %% | %+.1f |\n",
            name, cm, fm, gm, 100 * fm / cm, 100 * gm / cm, gm - fm
    }
}

function allocs_table(    ops, o, n, a, total) {
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
    printf "Target (newest Go): 0 allocations per request: %s\n", verdict(total == 0)
}

# filtercall_table(TITLE, VALUES): the stacks, and what each adds to
# the C plugin alone; medians in fcm.
function filtercall_table(title, values,    stacks, flabel, i, c, line, diffs, d, a, b) {
    split("c filter ffloor floor", stacks, " ")
    flabel["c"] = "C plugin alone (bench/c-ramdisk)"
    flabel["filter"] = "Go filter on the binding (bench/go-filter) + C plugin"
    flabel["ffloor"] = "Go filter, bare cgo: the filter floor (bench/go-floor-filter) + C plugin"
    flabel["floor"] = "Go plugin, bare cgo: the plugin floor (bench/go-floor), no filter"
    print ""
    print title
    print ""
    print "| stack | pread 1 thread | pread 2 threads | pwrite 1 thread | pwrite 2 threads |"
    print "|---|--:|--:|--:|--:|"
    median_rows(values, stacks, flabel, fcm)
    split("filter c|ffloor c|floor c|filter ffloor", diffs, "|")
    split("binding filter − C|filter floor − C|plugin floor − C|**the binding's own cost** (binding filter − filter floor)", dlabel, "|")
    for (d = 1; d <= 4; d++) {
        split(diffs[d], ab, " "); a = ab[1]; b = ab[2]
        line = "| " dlabel[d]
        for (c = 1; c <= 4; c++)
            line = line sprintf(d == 4 ? " | **%+.1f**" : " | %+.1f", fcm[a, c] - fcm[b, c])
        print line " |"
    }
}

# Item 7 of issue 13: the filter costs at most the plugin floor over
# the same stack without it (pread, CPU time).
function filtercall_target(    d1, d2, f1, f2) {
    d1 = fcm["filter", 1] - fcm["c", 1]; d2 = fcm["filter", 2] - fcm["c", 2]
    f1 = fcm["floor", 1] - fcm["c", 1]; f2 = fcm["floor", 2] - fcm["c", 2]
    print ""
    printf "Target: binding filter − C ≤ plugin floor − C per pread (CPU time): 1 thread %.1f ≤ %.1f ns, 2 threads %.1f ≤ %.1f ns: %s; the binding's own cost %.1f and %.1f ns\n",
        d1, f1, d2, f2, verdict(d1 <= f1 && d2 <= f2),
        fcm["filter", 1] - fcm["ffloor", 1], fcm["filter", 2] - fcm["ffloor", 2]
}
