package Bench;

# What the figure scripts of bench/ share: percentiles, pipelined Redis
# commands, the reference script of the Redis time figures, and events
# from many CCTest::SSE streams at once.

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


# Commands on the harness's Redis connection ($t, a CCTest), written in
# batches of 500, replies read after each batch: thousands of FCALLs in a
# few seconds.  Returns the error replies counted (the first one warned
# of: a refused command costs less, a figure would lie) and the last reply.
sub pipeline {
    my ($t, @cmds) = @_;
    my ($errors, $last) = (0);
    while (my @batch = splice @cmds, 0, 500) {
        my $out = join '', map { CCTest::redis_encode(@$_) } @batch;
        my $s = $t->_redis_sock;
        while (length $out) {
            my $n = syswrite($s, $out) // die "redis write: $!\n";
            substr($out, 0, $n, '');
        }
        for my $cmd (@batch) {
            my $r = $t->_redis_reply;
            if (ref $r eq 'CCTest::Error') {
                warn "redis @$cmd[0, 1]: " . $r->message . "\n"
                    unless $errors++;
            }
            $last = $r;
        }
    }
    return ($errors, $last);
}

# The same for a setup: any error reply ends the script.
sub ok_pipeline {
    my ($errors) = pipeline(@_);
    die "setup: $errors errors\n" if $errors;
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

# The reference of the Redis time figures, loaded into $t's Redis: a Lua
# script doing a message's least (read the call, store and publish the
# event).  Returns its SHA-1: EVALSHA SHA 2 CALL_KEY STREAM_KEY DATA.
sub reference_script {
    my ($t) = @_;
    return $t->redis_cmd_ok('SCRIPT', 'LOAD', <<'LUA');
local h = redis.call('HGET', KEYS[1], 'state')
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*',
                      'event', 'message', 'data', ARGV[1])
redis.call('PUBLISH', KEYS[2], id .. ' message ' .. ARGV[1])
return id
LUA
}

1;
