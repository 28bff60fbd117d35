package linux

// Clock IDs.
//
// include/uapi/linux/time.h
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
	CLOCK_REALTIME_ALARM     = 8
	CLOCK_BOOTTIME_ALARM     = 9
	CLOCK_TAI                = 11
)

// Timer flags and interval timers.
//
// include/uapi/linux/time.h
const (
	TIMER_ABSTIME = 0x01

	ITIMER_REAL    = 0
	ITIMER_VIRTUAL = 1
	ITIMER_PROF    = 2
)

// timerfd_create(2) and timerfd_settime(2) flags.
//
// include/uapi/linux/timerfd.h
const (
	TFD_TIMER_ABSTIME       = 1 << 0
	TFD_TIMER_CANCEL_ON_SET = 1 << 1
	TFD_CLOEXEC             = O_CLOEXEC
	TFD_NONBLOCK            = O_NONBLOCK
)

// Timespec is struct __kernel_timespec (16 bytes).
//
// include/uapi/linux/time_types.h
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Timeval is struct __kernel_old_timeval (16 bytes on x86-64).
//
// include/uapi/linux/time_types.h
type Timeval struct {
	Sec  int64
	Usec int64
}

// Itimerspec is struct __kernel_itimerspec (timer_settime(2), 32 bytes).
//
// include/uapi/linux/time_types.h
type Itimerspec struct {
	Interval Timespec
	Value    Timespec
}

// Itimerval is struct __kernel_old_itimerval (setitimer(2), 32 bytes).
//
// include/uapi/linux/time_types.h
type Itimerval struct {
	Interval Timeval
	Value    Timeval
}

// Timezone is struct timezone (gettimeofday(2)).
//
// include/uapi/linux/time.h
type Timezone struct {
	Minuteswest int32
	Dsttime     int32
}

// Tms is struct tms (times(2), 32 bytes).
//
// include/uapi/linux/times.h
type Tms struct {
	Utime  int64
	Stime  int64
	Cutime int64
	Cstime int64
}
