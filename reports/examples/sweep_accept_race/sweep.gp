# sweep.gp: the plots of this goldpath sweep folder, written by goldpath.
# Run again with: cd <this folder> && gnuplot sweep.gp

# sweep_transition_success_rate (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'sweep_transition_success_rate.png'
set title 'Transition success rate against faults.accept_race'."\n".'accept_race, seeds 1..3 per value, sim, fixed server; each variant (key) may change them'."\n".'line = mean over the seeds, band and bars = min to max'
set xlabel 'faults.accept_race'
set ylabel 'Transition success rate'
set yrange [0.8:1.02]
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set style fill transparent solid 0.18 noborder
plot 'sweep_summary.csv' every ::0::5 using 'value':'transition_success_rate_min':'transition_success_rate_max' with filledcurves lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'transition_success_rate_mean':'transition_success_rate_min':'transition_success_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'transition_success_rate_mean' with lines lw 2 lc rgb '#1f77b4' title 'server.bugs=[]', \
     'sweep_summary.csv' every ::6::11 using 'value':'transition_success_rate_min':'transition_success_rate_max' with filledcurves lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'transition_success_rate_mean':'transition_success_rate_min':'transition_success_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'transition_success_rate_mean' with lines lw 2 lc rgb '#d62728' title 'server.bugs=["accept_race"]'

# sweep_transition_success_rate (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'sweep_transition_success_rate.svg'
set title 'Transition success rate against faults.accept_race'."\n".'accept_race, seeds 1..3 per value, sim, fixed server; each variant (key) may change them'."\n".'line = mean over the seeds, band and bars = min to max'
set xlabel 'faults.accept_race'
set ylabel 'Transition success rate'
set yrange [0.8:1.02]
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set style fill transparent solid 0.18 noborder
plot 'sweep_summary.csv' every ::0::5 using 'value':'transition_success_rate_min':'transition_success_rate_max' with filledcurves lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'transition_success_rate_mean':'transition_success_rate_min':'transition_success_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'transition_success_rate_mean' with lines lw 2 lc rgb '#1f77b4' title 'server.bugs=[]', \
     'sweep_summary.csv' every ::6::11 using 'value':'transition_success_rate_min':'transition_success_rate_max' with filledcurves lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'transition_success_rate_mean':'transition_success_rate_min':'transition_success_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'transition_success_rate_mean' with lines lw 2 lc rgb '#d62728' title 'server.bugs=["accept_race"]'

# sweep_completion_rate (png)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal pngcairo noenhanced size 900,500
set output 'sweep_completion_rate.png'
set title 'Golden-path completion rate against faults.accept_race'."\n".'accept_race, seeds 1..3 per value, sim, fixed server; each variant (key) may change them'."\n".'line = mean over the seeds, band and bars = min to max'
set xlabel 'faults.accept_race'
set ylabel 'Golden-path completion rate'
set yrange [0.5:1.02]
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set style fill transparent solid 0.18 noborder
plot 'sweep_summary.csv' every ::0::5 using 'value':'completion_rate_min':'completion_rate_max' with filledcurves lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'completion_rate_mean':'completion_rate_min':'completion_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'completion_rate_mean' with lines lw 2 lc rgb '#1f77b4' title 'server.bugs=[]', \
     'sweep_summary.csv' every ::6::11 using 'value':'completion_rate_min':'completion_rate_max' with filledcurves lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'completion_rate_mean':'completion_rate_min':'completion_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'completion_rate_mean' with lines lw 2 lc rgb '#d62728' title 'server.bugs=["accept_race"]'

# sweep_completion_rate (svg)
reset
set datafile separator ','
set datafile columnheaders
set grid
set key below height 1
set terminal svg noenhanced size 900,500 background '#ffffff'
set output 'sweep_completion_rate.svg'
set title 'Golden-path completion rate against faults.accept_race'."\n".'accept_race, seeds 1..3 per value, sim, fixed server; each variant (key) may change them'."\n".'line = mean over the seeds, band and bars = min to max'
set xlabel 'faults.accept_race'
set ylabel 'Golden-path completion rate'
set yrange [0.5:1.02]
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set style fill transparent solid 0.18 noborder
plot 'sweep_summary.csv' every ::0::5 using 'value':'completion_rate_min':'completion_rate_max' with filledcurves lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'completion_rate_mean':'completion_rate_min':'completion_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#1f77b4' notitle, \
     '' every ::0::5 using 'value':'completion_rate_mean' with lines lw 2 lc rgb '#1f77b4' title 'server.bugs=[]', \
     'sweep_summary.csv' every ::6::11 using 'value':'completion_rate_min':'completion_rate_max' with filledcurves lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'completion_rate_mean':'completion_rate_min':'completion_rate_max' with yerrorbars pt 7 ps 0.6 lc rgb '#d62728' notitle, \
     '' every ::6::11 using 'value':'completion_rate_mean' with lines lw 2 lc rgb '#d62728' title 'server.bugs=["accept_race"]'

set output
