import type { Truncation } from './bytes';

/**
 * What an audio probe recognised from the content (never from a file name):
 * - 'mp3' MPEG audio Layer III; 'mp2' / 'mp1' the same frames with Layer II / I (a different codec).
 * - 'wav' RIFF/RIFX/RF64/BW64 WAVE, whatever codec it holds (PCM, ADPCM, MP3 ...).
 * - 'm4a' ISO-BMFF (MP4) holding an AAC audio track and no video; 'mp4' any other ISO-BMFF movie:
 *   a video, an audio track in another codec (ALAC, Opus, FLAC, AMR ...), or no audio track at all.
 * - 'aac' raw ADTS; 'ogg' Ogg (Vorbis / Opus); 'flac' native FLAC.
 * - 'mpeg-ps', 'mpeg-ts', 'avi', 'matroska', 'flv', 'asf': video containers, named so that
 *   MPEG audio frames found inside them are not taken for an mp3 file.
 */
export type AudioFormat =
	| 'mp3'
	| 'mp2'
	| 'mp1'
	| 'wav'
	| 'm4a'
	| 'mp4'
	| 'aac'
	| 'ogg'
	| 'flac'
	| 'mpeg-ps'
	| 'mpeg-ts'
	| 'avi'
	| 'matroska'
	| 'flv'
	| 'asf'
	| 'unknown';

export interface AudioProbe {
	format: AudioFormat;
	/**
	 * Seconds of audio the file plays. For a file with a video track, the length of its audio
	 * track (null when it has none). null when it cannot be read.
	 */
	durationSeconds: number | null;
	/**
	 * The codec inside the container when it is not the one the format name implies, in words:
	 * 'ALAC' for an 'mp4', 'IMA ADPCM' for a 'wav'. Absent when nothing needs saying.
	 */
	codec?: string;
	/** Set when the file holds a video track: its codec, and the audio track's codec if there is one. */
	video?: { codec: string; audioCodec: string | null };
	/** Set when the file ends before what its header declares: the provider would get a cut file. */
	truncated?: Truncation;
}

/** An AudioProbe with the duration cleaned up (finite and ≥ 0, else null); extras only when set. */
export function audioResult(format: AudioFormat, seconds: number | null = null, extra: Omit<AudioProbe, 'format' | 'durationSeconds'> = {}): AudioProbe {
	const out: AudioProbe = {
		format,
		durationSeconds: seconds !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds : null,
	};
	if (extra.codec !== undefined) out.codec = extra.codec;
	if (extra.video !== undefined) out.video = extra.video;
	if (extra.truncated !== undefined) out.truncated = extra.truncated;
	return out;
}
