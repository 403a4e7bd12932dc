"""Person names written in Chinese, Japanese or Korean characters.

The name gazetteer and spaCy read Latin letters only, so a column of ``王伟``, ``佐藤 太郎`` or
``김민준`` had no PERSON evidence at all (issue 16: names in other forms). A CJK name is
short and starts with a family name from a small closed set: a few hundred surnames cover
nearly all people in China, Japan and Korea. :func:`cjk_name` says whether one value reads
as such a name; the classifier weighs the share of the column's values that do.

The surname lists below are written by hand from the most frequent family names in national
statistics (China's household registration ranking, Japan's and Korea's census rankings);
short lists of common names are facts. They are not copied from Faker, whose CJK providers
cite Wikipedia (CC BY-SA) or sources without stated terms (training/data/README.md). Pure;
no I/O.
"""

from __future__ import annotations

from typing import Final

from classifiers.scripts import cjk_script

#: Chinese family names (simplified and traditional forms), one character.
_ZH: Final = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "張劉陳楊黃趙吳孫馬鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒閻龍賀顧龔萬錢嚴湯溫莊聶魯歐關蘭紀"
    "畢單塗駱藍遊鮑華饒繆簡車項連蘆婁竇費衛閔鄔邊欒鞏遲鄺蔣羅洪賴顏萧蕭楼樓况賀"
)
#: Chinese two-character family names.
_ZH_DOUBLE: Final = frozenset(
    """欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 令狐 夏侯
    长孙 長孫 宇文 司徒 西门 西門 端木 澹台 轩辕 軒轅 呼延 独孤 獨孤""".split()
)
#: Japanese family names (kanji), the most frequent few hundred.
_JA: Final = frozenset(
    """佐藤 鈴木 高橋 田中 伊藤 渡辺 渡邊 渡邉 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本
    井上 木村 林 斎藤 斉藤 齋藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田
    長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田
    中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 原 内田 柴田 酒井 宮崎 横山 高木 安藤 宮本
    大野 小島 谷口 今井 工藤 高田 増田 丸山 杉山 村田 大塚 新井 小山 平野 藤本 河野 上野 野口
    武田 松井 千葉 岩崎 菅原 木下 久保 佐野 野村 松尾 市川 菊地 杉本 古川 大西 島田 水野 桜井
    高野 渡部 吉川 山内 西田 飯田 菊池 西川 小松 北村 安田 五十嵐 川口 平田 関 中田 久保田 服部
    東 岩田 土屋 川崎 福島 本田 辻 樋口 秋山 田口 永井 山中 中西 吉村 川上 石原 大橋 松岡 馬場
    浅野 荒木 大久保 野田 小沢 小澤 田辺 川村 星野 黒田 堀 尾崎 望月 永田 熊谷 内藤 松村 西山
    大谷 平井 大島 岩本 片山 本間 早川 横田 岡崎 荒井 大石 鎌田 成田 宮田 小田 石橋 篠原 須藤
    河合 高山 吉岡 中尾 小池 松下 浜田 浅井 宇野 上原 北川 矢野 小西 沢田 澤田 岩井 広瀬 廣瀬
    松原 奥村 白石 今村 小笠原 福井 南 西 北 大川 水谷 安部 野崎 坂口 森本 大森 岡 中井 青山
    宮下 秋元 平山 堀内 富田 小泉 松浦 大山 桑原 三宅 関口 杉浦 吉野 岡村 榎本 稲垣 木内 松永
    江口 米田 奥田 津田 岸 堀田 花田 細川 須田 西尾 相馬 竹田 村井 小出 内山 大木 森下 森川
    千田 堤 栗原 高島 辻本 寺田 小久保 香川 長田 長尾 三上 荒川 福原 奥山 野中 坂井 新田
    竹中""".split()
)
#: Korean family names (Hangul), one syllable, and the two-syllable ones.
_KO: Final = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채"
    "원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복"
    "태목형계피두감음빈동온호범좌팽승간상시갈나라"
)
_KO_DOUBLE: Final = frozenset("황보 남궁 제갈 선우 독고 사공 동방 서문".split())
#: Every known family name, whole.
_KNOWN_FAMILY: Final = _ZH | _ZH_DOUBLE | _JA | _KO | _KO_DOUBLE
#: Endings of place, company and institution names, which also start with a surname
#: character (``黄山市``, ``金华市``, ``王府井大街``, ``高橋商事株式会社``).
_NOT_NAME_ENDINGS: Final = tuple(
    """市 县 縣 区 區 省 州 镇 鎮 村 町 路 街 巷 岛 島 公司 集团 集團 有限
    会社 會社 株式 商事 银行 銀行 大学 大學 医院 醫院 病院 学校 學校 店 部 科 所 局 厅 廳 馆 館
    시 로 은행 회사 병원 학교 대학""".split()
)
_MAX_CHARS: Final = 8
#: Characters of given names (issue 16: given names alone under an opaque name). The
#: characters of mimesis's Chinese, Japanese and Korean given names (MIT; its datasets name no
#: source), as ``tests/unit/test_pii_cjk_given.py`` derives them from the installed mimesis:
_GIVEN_MIMESIS: Final = (
    "あいうおかきくけこごさしじすずぞたちつてとどなねのはばひふほまみめもやゆらりるろんアイウ"
    "エオカキクケコサシジスタチツテデトナネノハヒマミメヤュユヨラリルレロワンー一丁七三与世丛"
    "东中丸丹丽乃久之乐乔也书乾予二于云五亚些亜亦享京亭人仁介付仙仝代仪仿伉伊伐优会伦伶伸伺佑"
    "何佩佯佳佻侄侈侍侑依侪俊俐保俞信倩倪倮偉僦僾儒優儿允元兆先光兔八兰兵具兼冉再军冬冯冰凌凛"
    "凝凡凤函刁分刚初利刹刺加劲勇勝勿包匝匹千升卉华卓南博卫印卷厅友双受叡叮可史叶合吉向君吝吟"
    "含启吻呈咆和咏咨咲咺品哉哗哲唯啸善嘉四围国圜地圹圻坐坤城埠堇塾墨夏夕多大天太夫奂奈奕奥奭"
    "奴如妃妆妍妙妞妤妩妮妯妲妻姐姒姗姝姞姣姬姹姿威娅娇娉娑娜娟娱娴婉婍婕婧婴婷媒媚媛嫣嫦嫱孀"
    "子孔存孟孩宁宇安宏宓宗定宛宜宝宫家宸寅寒小少尔尚尥尧尹尼屋山屿岐岑岚岢岩岫岳峒峰崧川左巧"
    "巫市帅帆师希帖帘帝平年幸幻幽広庭廉廷建弈弓弘弥归录彗彤彦彧彩彬征律微徳德心忆忍志忝念怀怜"
    "思怡怿恒恩恬恭悠悦悪惜惠愈意愛慈慕慧憐懿戆成扬承抒拼掎搁搴撰攘收政敏文斌斐斓新於施旆旎旖"
    "日早旬旭昀昂昊昌明昏易昕昙星映春昪昭昱显晋晓晗晨景晰晴晶智暄曌曛曜曦曼月有朔朦木未朵杉李"
    "杏来杨杭杰杼松林枚果枝枥枰枷柃柊柚栅栊栖栩样桂桃桐桑桜桢桧梓梣梦梧梨梵森楚楠槐槿樊樨樱橙"
    "檄次欢欣欷正武殷毅毓毛民永汀汉汐汕江池汪汶沁沂沐沙沛沥河治沿泊法泞波泰泶泺泽洁洋洛洪洲浠"
    "浦浩海涔涟涵涼淅淏淑淩淯淳淼淿清渚渝渟渲湄湘湾源溪溱滋滏满滢滨漆漠漩漫漾潇澄澤澧澶濂濡瀚"
    "瀬灏灵灿炎炜炫烁烔烜烨烯焓焯然煊煜熙熟熠熤燕燮爱牙牛牧牮犇狮玉玑玥玦玫玮环玲玺珂珉珊珏珑"
    "珲珺琎琛琦琪琳琴琼瑕瑜瑞瑠瑭瑶瑷瑾璇璎璐璞璧璨甑甜生男畴痔盈益盼真眠眷睿瞬瞳瞿矛矢知石研"
    "砭硕碧磐祝祢祥祷祺福禧禹禾秀秋穆窈竜章竹竺笈笑笫筱箐箬範篱簧米糍糸系素紫絵綾織红纨纭纶绍"
    "绢绮维绵绿缁缆缋缘缜缨罐罗羊美群義羽翊翔翠翼耀者而耿聖聪聿肖胤腊至臻舒舞航舷艳艺艾芊芙芜"
    "芝芦芩芬芮芯花芳芷芸芹苋苑苓苔苕苛若英苹苻茄茉茑茗茜茱茵茹荔荣荥荪荫荭荻莉莎莠莫莲莹莺菀"
    "菊菜菡菥菩華菱菲菽萁萌萍萦萩萱萼葉葭葵葶葸蒋蒙蓉蓓蓝蓬蔀蔓蔺蕃蕈蕊蕋蕖蕙蕴蕾薇藐藜藤虹虽"
    "蛍蜜蝉蝶螈行衛衣袭裕裳西觎言詩誉讫评识诗诚语诺谅谨豆豪豫貞貴贇贝贞贤贵贺赖赟赪赵起超越蹄"
    "蹊輝轩轶辂辉辕辰达迅迎运进远连迟迩逸遣遥遭邢那邬郎郝鄙酉采里重金鈴鈺鉄鍪鑫钏钰钱铁铃铲铸"
    "铺锁锐锦键锶镐镒镗镞镶長长門门闱闺阊阑阒阙阳陇陸隆隰隼雁雄雅雨雪雯雷霆霍霓霖霞青靓静非韬"
    "音韵韶順頼颉颍颐颖颜颡颢风飞饱馀香馥馨骀骏骞髓高鲛鲤鳞鸯鸾鸿鹃鹊鹏鹦麗麟麦麻黎黾龙가강건"
    "결겸경곤관광교구국권규균그근기길나노늘다단담대덕도돈동두라란람래력련령례록룡루률름리린림"
    "만명모무문미민백범병보본비빈산상서석선설섬섭성세소솔송수숙슬승시식신아안애어언여연열엽영"
    "예오옹완요용우욱운웅원월유윤율은을음의이익인일임장재정제조종주준지진차찬창채천철청초추춘"
    "츄치태택표하학한항해향헌혀혁현협형혜호홍화환회효후훈휘흠흥희"
)
#: ... and, written by hand, the commonest characters of given names in national naming
#: statistics (traditional forms of the Chinese ones too), many of them in mimesis's lists
#: already, some not: ``伟``, ``强``, ``梅`` in China; the ``자``, ``순`` and ``옥`` of older Korean
#: women's names; Japanese ``郎``, ``樹``, ``直``, and the iteration mark ``々`` (``菜々子``).
_GIVEN_COMMON: Final = (
    "伟芳娜敏静秀英丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉兰梅珍红燕萍鹏辉建国志春冬雪淑凤荣云"
    "海亮凯斌波飞林宇浩俊帅旭宁龙欣佳嘉琳婷倩晶莉玲丹颖慧文利民永德成光东生金贵福祥庆想畅柳"
    "偉麗強軍豔傑濤華蘭紅鳳榮雲飛龍寧穎輝鵬國貴慶東"
    "一二三太郎子美恵香奈菜花樹介輔也哉人斗翔真直健康弘裕陽稔幹晃修拓篤司知実結衣零京助聡"
    "智大悠蓮颯湊蒼陸翼優舞桜咲夏千百里沙紗彩絵乃加由友理麻瞳淳茂清進豊勝正昭誠学博隆剛"
    "涼治雄男夫彦朗次充々"
    "자순옥남중영숙희정춘길말분복덕동철수호식광성상현민준서지훈은혜경미진주우재용석기태한유윤"
    "아하나예채다소시도건형규승원인범택환혁열선란화애일이"
)
_GIVEN_CHARS: Final = frozenset(_GIVEN_MIMESIS + _GIVEN_COMMON)


def cjk_name(text: str) -> bool | None:
    """Whether ``text`` reads as a person's name in CJK characters.

    ``None`` when it is not CJK text at all (other letters, digits, punctuation besides one
    space or middle dot), so the caller can tell "not a name" from "not for this reader".
    A name: a known family name (:data:`_ZH`, :data:`_JA`, :data:`_KO` and their
    two-character forms) followed by a given name of one to three characters (Han or kana
    after a Japanese family name), in Chinese and Korean two to four characters in all,
    not ending like a place, company or institution. Pure.
    """
    value = text.strip()
    if not value or len(value) > _MAX_CHARS or value.isascii():
        return None
    family, sep, given = value.partition(" ")
    if not sep:
        family, sep, given = value.partition("·")
    if " " in given or "·" in given:
        return None
    joined = family + given
    scripts = {cjk_script(ch) for ch in joined}
    if "other" in scripts or not scripts:
        return None
    if value.endswith(_NOT_NAME_ENDINGS):
        return False
    if scripts == {"hangul"}:
        return _split_ok(joined, _KO, _KO_DOUBLE, sep and family, 2, 4)
    if "hangul" in scripts:
        return False
    # Japanese: a known family name, then a given name in kanji or kana (``佐藤 太郎``,
    # ``鈴木さくら``); written with a space the family part must be the known name.
    if sep:
        if family in _JA:
            return 1 <= len(given) <= 4
        if scripts == {"han"}:
            return _split_ok(joined, _ZH, _ZH_DOUBLE, family, 2, 4)
        return False
    for size in (3, 2, 1):
        if value[:size] in _JA and 1 <= len(value) - size <= 3:
            return True
    if scripts != {"han"}:
        return False
    return _split_ok(value, _ZH, _ZH_DOUBLE, "", 2, 4)


def cjk_family_name(text: str) -> bool:
    """Whether ``text`` is a known Chinese, Japanese or Korean family name alone. Pure.

    ``王``, ``佐藤``, ``김``, ``남궁``: a family-name column holds these and little else
    (Faker's 97-100%), its towns, words and company names at most 2%.
    """
    return text.strip() in _KNOWN_FAMILY


def cjk_name_part(text: str) -> bool | None:
    """Whether ``text`` could be a given or a family name alone in CJK characters.

    One to four characters of one CJK script (Han or kana, or one to three Hangul
    syllables), not ending like a place or company unless it is a known family name whole.
    Only the column's name can say it is a name (``first_name``, ``surname``): many words
    look the same. ``None`` when it is not CJK text. Pure.
    """
    read = _cjk_word(text, 4)
    if read is None:
        return None
    value, scripts = read
    # A known family name whole is one, whatever its ending: 中村, 木村, 中島, 阿部 end like
    # a village, an island or a department and are among Japan's commonest.
    if value in _KNOWN_FAMILY:
        return True
    if value.endswith(_NOT_NAME_ENDINGS) or ("hangul" in scripts and len(scripts) > 1):
        return False
    return scripts != {"hangul"} or len(value) <= 3


def _split_ok(
    joined: str,
    single: frozenset[str],
    double: frozenset[str],
    family: str,
    shortest: int,
    longest: int,
) -> bool:
    """A known one- or two-character family name and a one- or two-character given name."""
    if not shortest <= len(joined) <= longest:
        return False
    if family:
        return (family in single or family in double) and 1 <= len(joined) - len(family) <= 2
    if joined[:2] in double and len(joined) >= 3:
        return True
    return joined[0] in single and 1 <= len(joined) - 1 <= 2


def cjk_given_name(text: str) -> bool | None:
    """Whether ``text`` could be a given name alone in CJK characters.

    One to three characters of CJK scripts (Han and kana may mix, as in ``くみ子``; Hangul
    alone), every one of them a character of given names (:data:`_GIVEN_CHARS`), not
    ending like a place or company. Katakana alone are loanwords (``コーラ``, ``ケーキ``), not
    given names; hiragana alone may be (``さゆり``). Many words pass too (``国家``, ``人民``: a
    column of Chinese words about one value in fourteen), so only a column beside the family
    names of the same people can say they are names. ``None`` when it is not CJK text. Pure.
    """
    read = _cjk_word(text, 3)
    if read is None:
        return None
    value, scripts = read
    if (len(scripts) > 1 and "hangul" in scripts) or _katakana(value):
        return False
    if value.endswith(_NOT_NAME_ENDINGS):
        return False
    return all(ch in _GIVEN_CHARS for ch in value)


def _cjk_word(text: str, longest: int) -> tuple[str, set[str]] | None:
    """``text`` stripped and its scripts, when it is one to ``longest`` CJK characters. Pure."""
    value = text.strip()
    if not value or len(value) > longest or value.isascii():
        return None
    scripts = {cjk_script(ch) for ch in value}
    if "other" in scripts:
        return None
    return value, scripts


def _katakana(value: str) -> bool:
    """Whether ``value`` is written in katakana alone (``ー`` counts as katakana). Pure."""
    return all("\u30a0" <= ch <= "\u30ff" for ch in value)
