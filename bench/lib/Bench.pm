package Bench;

# What the figure scripts of bench/ share: percentiles, and events from
# many CCTest::SSE streams at once.

use strict;
use warnings;

use IO::Select;
use Time::HiRes qw(time);

# The p-th percentile (0..100) of the values, nearest rank.
sub percentile {
    my ($p, @v) = @_;
    @v = sort { $a <=> $b } @v;
    return $v[ int($p / 100 * $#v + 0.5) ];
}

# Waits until one of the streams has an event, at most until the deadline
# (epoch seconds); returns every event now read as [stream, event] pairs,
# oldest first for each stream, or () at the deadline.
sub events {
    my ($deadline, @streams) = @_;
    my %of = map { ($_->{sock} => $_) } grep { $_->{sock} } @streams;
    my @ready = values %of;     # events may sit in a stream's buffer
    while (1) {
        my @got;
        for my $s (@ready) {
            # a short timeout reads what the socket holds, once
            while (my $ev = $s->next_event(timeout => 0.0001)) {
                push @got, [$s, $ev];
            }
        }
        return @got if @got;
        my $left = $deadline - time;
        my @open = grep { !$_->eof } values %of;
        return () if $left <= 0 || !@open;
        @ready = map { $of{$_} }
            IO::Select->new(map { $_->{sock} } @open)->can_read($left);
    }
}

1;
