# plots.gp: the plots of this goldpath run folder, written by goldpath.
# Run again with: cd <this folder> && gnuplot plots.gp
# (or: goldpath plot <this folder>, which also rewrites report.html)

# success_rate: Transition success rate over time (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'success_rate.png'
set title 'Lifecycle transition success rate per time bucket (succeeded / attempted steps; buckets without a step have no rate)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'success rate'
set yrange [0.8:1.02]
set ytics nomirror
set y2tics
set y2label 'steps attempted in the bucket'
set y2range [0:*]
plot 'timeline.csv' using (column('t_ms')/1000.0):(column('attempted')) axes x1y2 with impulses lc rgb '#c0c0c0' title 'steps attempted', \
     '' using (column('t_ms')/1000.0):(column('attempted') > 0 ? column('success_rate') : NaN) with linespoints pt 7 ps 0.4 lw 2 lc rgb '#1f77b4' title 'success rate'

# success_rate: Transition success rate over time (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'success_rate.svg'
set title 'Lifecycle transition success rate per time bucket (succeeded / attempted steps; buckets without a step have no rate)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'success rate'
set yrange [0.8:1.02]
set ytics nomirror
set y2tics
set y2label 'steps attempted in the bucket'
set y2range [0:*]
plot 'timeline.csv' using (column('t_ms')/1000.0):(column('attempted')) axes x1y2 with impulses lc rgb '#c0c0c0' title 'steps attempted', \
     '' using (column('t_ms')/1000.0):(column('attempted') > 0 ? column('success_rate') : NaN) with linespoints pt 7 ps 0.4 lw 2 lc rgb '#1f77b4' title 'success rate'

# states: Connections per state over time (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'states.png'
set title 'Connections per lifecycle state at the end of each time bucket (stacked)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'connections'
set yrange [0:*]
set style fill solid 0.85 noborder
plot 'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')+column('SERVICES_READY')+column('PROCESSING_READY')) with filledcurves x1 lc rgb '#2ca02c' title 'PROCESSING_READY', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')+column('SERVICES_READY')) with filledcurves x1 lc rgb '#9467bd' title 'SERVICES_READY', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')) with filledcurves x1 lc rgb '#bcbd22' title 'AUTHENTICATED', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')) with filledcurves x1 lc rgb '#ff7f0e' title 'ACCEPTED', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')) with filledcurves x1 lc rgb '#d62728' title 'CONNECTING'

# states: Connections per state over time (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'states.svg'
set title 'Connections per lifecycle state at the end of each time bucket (stacked)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'connections'
set yrange [0:*]
set style fill solid 0.85 noborder
plot 'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')+column('SERVICES_READY')+column('PROCESSING_READY')) with filledcurves x1 lc rgb '#2ca02c' title 'PROCESSING_READY', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')+column('SERVICES_READY')) with filledcurves x1 lc rgb '#9467bd' title 'SERVICES_READY', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')+column('AUTHENTICATED')) with filledcurves x1 lc rgb '#bcbd22' title 'AUTHENTICATED', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')+column('ACCEPTED')) with filledcurves x1 lc rgb '#ff7f0e' title 'ACCEPTED', \
     'timeline.csv' using (column('t_ms')/1000.0):(0+column('CONNECTING')) with filledcurves x1 lc rgb '#d62728' title 'CONNECTING'

# throughput: Connections opened, ready and completed per second (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'throughput.png'
set title 'Connections opened, clients ready and clients completed per second'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'per second (bucket count / bucket width)'
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
plot 'clients_timeline.csv' using (column('t_ms')/1000.0):'opened_per_s' with steps lw 2 lc rgb '#7f7f7f' title 'connections opened', \
     '' using (column('t_ms')/1000.0):'ready_per_s' with steps lw 2 lc rgb '#1f77b4' title 'connection_ready received', \
     '' using (column('t_ms')/1000.0):'completed_per_s' with steps lw 2 lc rgb '#2ca02c' title 'golden path completed'

# throughput: Connections opened, ready and completed per second (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'throughput.svg'
set title 'Connections opened, clients ready and clients completed per second'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual time since the run started (s)'
set ylabel 'per second (bucket count / bucket width)'
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
plot 'clients_timeline.csv' using (column('t_ms')/1000.0):'opened_per_s' with steps lw 2 lc rgb '#7f7f7f' title 'connections opened', \
     '' using (column('t_ms')/1000.0):'ready_per_s' with steps lw 2 lc rgb '#1f77b4' title 'connection_ready received', \
     '' using (column('t_ms')/1000.0):'completed_per_s' with steps lw 2 lc rgb '#2ca02c' title 'golden path completed'

# latency_over_time: Time to ready and to completed over time (p50, p95, p99) (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'latency_over_time.png'
set title 'Time to connection_ready and to completed, by when the client started (p50, p95, p99 per bucket)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'when the client started: virtual time since the run started (s)'
set ylabel 'virtual ms since the client started'
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
plot 'clients_timeline.csv' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p50_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 1 lc rgb '#1f77b4' title 'ready p50', \
     '' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p95_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 2 lc rgb '#1f77b4' title 'ready p95', \
     '' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p99_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 3 lc rgb '#1f77b4' title 'ready p99', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p50_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 1 lc rgb '#2ca02c' title 'completed p50', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p95_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 2 lc rgb '#2ca02c' title 'completed p95', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p99_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 3 lc rgb '#2ca02c' title 'completed p99'

# latency_over_time: Time to ready and to completed over time (p50, p95, p99) (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'latency_over_time.svg'
set title 'Time to connection_ready and to completed, by when the client started (p50, p95, p99 per bucket)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'when the client started: virtual time since the run started (s)'
set ylabel 'virtual ms since the client started'
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
plot 'clients_timeline.csv' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p50_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 1 lc rgb '#1f77b4' title 'ready p50', \
     '' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p95_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 2 lc rgb '#1f77b4' title 'ready p95', \
     '' using (column('t_ms')/1000.0):(column('ready_n') > 0 ? column('ready_p99_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 3 lc rgb '#1f77b4' title 'ready p99', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p50_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 1 lc rgb '#2ca02c' title 'completed p50', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p95_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 2 lc rgb '#2ca02c' title 'completed p95', \
     '' using (column('t_ms')/1000.0):(column('completed_n') > 0 ? column('completed_p99_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt 3 lc rgb '#2ca02c' title 'completed p99'

# latency_cdf: Time to ready and to completed (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'latency_cdf.png'
set title 'Time to connection_ready and to the last request completed, as a share of all 500 clients'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual ms since the client started'
set ylabel 'share of all clients'
set yrange [0:1.02]
set xrange [0:*]
plot 'latency_cdf.csv' using 'ms':'ready' with steps lw 2 lc rgb '#1f77b4' title 'connection_ready received', \
     '' using 'ms':'completed' with steps lw 2 lc rgb '#2ca02c' title 'golden path completed'

# latency_cdf: Time to ready and to completed (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'latency_cdf.svg'
set title 'Time to connection_ready and to the last request completed, as a share of all 500 clients'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xlabel 'virtual ms since the client started'
set ylabel 'share of all clients'
set yrange [0:1.02]
set xrange [0:*]
plot 'latency_cdf.csv' using 'ms':'ready' with steps lw 2 lc rgb '#1f77b4' title 'connection_ready received', \
     '' using 'ms':'completed' with steps lw 2 lc rgb '#2ca02c' title 'golden path completed'

# transitions: Lifecycle steps by from and to state (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'transitions.png'
set title 'Lifecycle steps attempted, by from and to state (blue: applied; red: refused as illegal)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xtics ('CONNECTING' 0, 'ACCEPTED' 1, 'AUTHENTICATED' 2, 'SERVICES_READY' 3, 'PROCESSING_READY' 4, 'CLOSING' 5, 'CLOSED' 6, 'FAILED' 7) rotate by 30 right font ',10' nomirror
set ytics ('CONNECTING' 0, 'ACCEPTED' 1, 'AUTHENTICATED' 2, 'SERVICES_READY' 3, 'PROCESSING_READY' 4, 'CLOSING' 5, 'CLOSED' 6, 'FAILED' 7) font ',10' nomirror
set colorbox vertical user origin graph 1.03, graph 0 size character 2, graph 1
set cbtics font ',9' ('1 refused' -0.301030, '10 refused' -1.041393, '100 refused' -2.004321, '1' 0.301030, '10' 1.041393, '100' 2.004321, '0' 0)
set tics scale 0
set xrange [-0.5:7.5]
set yrange [7.5:-0.5]
set xlabel 'to state'
set ylabel 'from state' offset -1,0
unset key
set lmargin 22
set bmargin 8
set rmargin 16
set grid noxtics noytics
set cbrange [-2.699838:2.699838]
set palette defined (-1 '#de2d26', -0.001 '#fcae91', 0 '#ffffff', 0.001 '#c6dbef', 1 '#4292c6')
plot 'heatmap.csv' using 'to_index':'from_index':(column('failed') > 0 ? -log10(1+column('failed')) : log10(1+column('attempted'))) with image pixels, \
     '' using 'to_index':'from_index':(column('failed') > 0 ? sprintf("%d\n%d refused", column('attempted'), column('failed')) : column('attempted') > 0 ? sprintf('%d', column('attempted')) : '') with labels font ',8'

# transitions: Lifecycle steps by from and to state (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'transitions.svg'
set title 'Lifecycle steps attempted, by from and to state (blue: applied; red: refused as illegal)'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set xtics ('CONNECTING' 0, 'ACCEPTED' 1, 'AUTHENTICATED' 2, 'SERVICES_READY' 3, 'PROCESSING_READY' 4, 'CLOSING' 5, 'CLOSED' 6, 'FAILED' 7) rotate by 30 right font ',10' nomirror
set ytics ('CONNECTING' 0, 'ACCEPTED' 1, 'AUTHENTICATED' 2, 'SERVICES_READY' 3, 'PROCESSING_READY' 4, 'CLOSING' 5, 'CLOSED' 6, 'FAILED' 7) font ',10' nomirror
set colorbox vertical user origin graph 1.03, graph 0 size character 2, graph 1
set cbtics font ',9' ('1 refused' -0.301030, '10 refused' -1.041393, '100 refused' -2.004321, '1' 0.301030, '10' 1.041393, '100' 2.004321, '0' 0)
set tics scale 0
set xrange [-0.5:7.5]
set yrange [7.5:-0.5]
set xlabel 'to state'
set ylabel 'from state' offset -1,0
unset key
set lmargin 22
set bmargin 8
set rmargin 16
set grid noxtics noytics
set cbrange [-2.699838:2.699838]
set palette defined (-1 '#de2d26', -0.001 '#fcae91', 0 '#ffffff', 0.001 '#c6dbef', 1 '#4292c6')
plot 'heatmap.csv' using 'to_index':'from_index':(column('failed') > 0 ? -log10(1+column('failed')) : log10(1+column('attempted'))) with image pixels, \
     '' using 'to_index':'from_index':(column('failed') > 0 ? sprintf("%d\n%d refused", column('attempted'), column('failed')) : column('attempted') > 0 ? sprintf('%d', column('attempted')) : '') with labels font ',8'

# faults: Fault ledger (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'faults.png'
set title 'Fault ledger: injected faults that fired, by the server-side state when they fired'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set ylabel 'times fired'
set xlabel ''
set yrange [0:*]
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set xtics rotate by -25 left nomirror
set grid noxtics
plot 'faults.csv' using 4:xtic(1) title 'CONNECTING' lc rgb '#d62728', \
     '' using 0:'fired':(sprintf('%d', column('fired'))) with labels offset 0,0.8 notitle

# faults: Fault ledger (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'faults.svg'
set title 'Fault ledger: injected faults that fired, by the server-side state when they fired'."\n".'bug_accept_race, seed 1, sim, bugs on: accept_race'
set ylabel 'times fired'
set xlabel ''
set yrange [0:*]
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set xtics rotate by -25 left nomirror
set grid noxtics
plot 'faults.csv' using 4:xtic(1) title 'CONNECTING' lc rgb '#d62728', \
     '' using 0:'fired':(sprintf('%d', column('fired'))) with labels offset 0,0.8 notitle

set output
