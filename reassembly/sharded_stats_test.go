package reassembly

import (
	"reflect"
	"testing"

	"github.com/hsdecode/hsdecode/stream"
)

// TestStatsAddEveryField: Sharded's Stats are its workers' added up, so a
// count added to Stats and left out of add would read 0 with --workers.
func TestStatsAddEveryField(t *testing.T) {
	one := Stats{Skipped: map[string]int64{"not IP": 1}, Closed: map[stream.EndReason]int64{stream.EndFIN: 1}}
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Int64 {
			f.SetInt(1)
		}
	}
	sum := Stats{Skipped: map[string]int64{}, Closed: map[stream.EndReason]int64{}}
	sum.add(one)
	sum.add(one)
	s := reflect.ValueOf(sum)
	for i := range s.NumField() {
		name := s.Type().Field(i).Name
		switch f := s.Field(i); f.Kind() {
		case reflect.Int64:
			if f.Int() != 2 {
				t.Errorf("%s = %d after adding 1 twice", name, f.Int())
			}
		case reflect.Map:
			for _, k := range f.MapKeys() {
				if n := f.MapIndex(k).Int(); n != 2 {
					t.Errorf("%s[%v] = %d after adding 1 twice", name, k, n)
				}
			}
		default:
			t.Errorf("%s: a %s, which add does not know", name, f.Kind())
		}
	}
}
