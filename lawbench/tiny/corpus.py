"""A small synthetic Chinese legal corpus, written by this project, for training tiny tokenizers.

Nothing here is copied from a dataset: the sentences are assembled from hand-written fragments
(common charge names, sentencing vocabulary, case-narrative templates, statute-style clauses and the
answer formats lawbench asks for), so a tokenizer trained on it covers the vocabulary of legal
prompts without shipping third-party text.

Example:
    >>> lines = legal_corpus(n_cases=5, seed=0)
    >>> any("<answer>" in line for line in lines)
    True
"""

from __future__ import annotations

import random

CHARGES = (
    "盗窃", "诈骗", "抢劫", "抢夺", "故意伤害", "故意杀人", "交通肇事", "危险驾驶", "容留他人吸毒",
    "贩卖毒品", "非法持有毒品", "走私毒品", "寻衅滋事", "聚众斗殴", "敲诈勒索", "职务侵占", "挪用资金",
    "贪污", "受贿", "行贿", "妨害公务", "非法拘禁", "绑架", "强奸", "猥亵儿童", "非法经营", "合同诈骗",
    "信用卡诈骗", "掩饰、隐瞒犯罪所得", "开设赌场", "赌博", "组织卖淫", "非法采矿", "滥伐林木",
    "非法狩猎", "污染环境", "生产、销售伪劣产品", "拒不支付劳动报酬", "帮助信息网络犯罪活动", "窝藏",
)
PLACES = ("家中", "出租屋内", "某小区停车场", "某超市", "某酒店房间", "某网吧", "某工地", "路边", "某公司办公室",
          "村道上")
CITIES = ("某市", "某县", "某区", "某镇")
NAMES = ("张某", "李某", "王某", "刘某", "陈某", "杨某", "赵某", "黄某", "周某", "吴某", "徐某", "孙某")
ACTS = (
    "趁无人之机窃取他人财物", "以虚构事实的方法骗取被害人钱款", "持刀威胁被害人并抢走手机",
    "因琐事与被害人发生争执并将其打伤", "醉酒后驾驶机动车在道路上行驶", "多次提供场所供他人吸食毒品",
    "向他人出售甲基苯丙胺", "在公共场所随意殴打他人", "以揭发隐私相威胁索取财物", "利用职务便利侵占公司财物",
    "收受他人财物并为他人谋取利益", "以暴力方法阻碍国家机关工作人员依法执行职务", "非法限制他人人身自由",
    "开设赌场并从中抽头渔利", "未经许可经营专营专卖物品", "违反国家规定排放有毒物质",
)
CIRCUMSTANCES = (
    "到案后如实供述自己的罪行", "有自首情节", "系累犯", "取得被害人谅解", "退赔全部赃款",
    "认罪认罚", "系初犯、偶犯", "犯罪情节较轻", "数额较大", "数额巨大", "情节严重", "造成一人轻伤",
)
PENALTIES = (
    "处三年以下有期徒刑、拘役或者管制，并处或者单处罚金", "处三年以上十年以下有期徒刑，并处罚金",
    "处十年以上有期徒刑或者无期徒刑，并处罚金或者没收财产", "处五年以下有期徒刑或者拘役",
    "处死刑、无期徒刑或者十年以上有期徒刑", "处拘役，并处罚金",
)
CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """Small integers (0-99) in Chinese numerals, as court documents write terms."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def _term_words(months: int) -> str:
    years, rest = divmod(months, 12)
    words = (f"{_cn_number(years)}年" if years else "") + (f"{_cn_number(rest)}个月" if rest else "")
    return "有期徒刑" + words


def legal_corpus(n_cases: int = 600, seed: int = 0) -> list[str]:
    """Lines of synthetic legal text: statutes, case facts, judgments and answers in lawbench's format."""
    rng = random.Random(seed)
    lines: list[str] = []
    for number, charge in enumerate(CHARGES, start=100):
        lines.append(f"第{number}条【{charge}罪】{rng.choice(ACTS)}的，{rng.choice(PENALTIES)}。")
    for _ in range(n_cases):
        charge = rng.choice(CHARGES)
        name = rng.choice(NAMES)
        months = rng.choice((rng.randint(1, 36), rng.randint(36, 180)))
        date = f"{rng.randint(2012, 2023)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        fact = (
            f"{rng.choice(CITIES)}人民检察院指控：{date}，被告人{name}在{rng.choice(CITIES)}{rng.choice(PLACES)}"
            f"{rng.choice(ACTS)}。案发后，被告人{name}{rng.choice(CIRCUMSTANCES)}。"
        )
        article = f"【{rng.randint(100, 450)}-0-0】【{charge}罪】{rng.choice(ACTS)}的，{rng.choice(PENALTIES)}。"
        lines.append(f"【案件事实】\n{fact}\n\n【相关法条】\n{article}\n\n请依据上述法条作出判决预测。")
        verdict = rng.random()
        if verdict < 0.1:
            answer = "<answer>不违规</answer>"
            sentence = f"被告人{name}的行为不构成犯罪。"
        elif verdict < 0.2:
            answer = f"<answer>{charge} | XT</answer>"
            sentence = f"被告人{name}犯{charge}罪，判处{rng.choice(('无期徒刑', '死刑，缓期二年执行'))}。"
        else:
            answer = f"<answer>{charge} | {months}</answer>"
            sentence = (f"被告人{name}犯{charge}罪，判处{_term_words(months)}，"
                        f"并处罚金人民币{rng.randint(1, 50)}000元。")
        lines.append(f"<think>\n被告人的行为符合{charge}罪的构成要件，{rng.choice(CIRCUMSTANCES)}。\n</think>\n{answer}")
        lines.append(sentence)
    return lines
